#!/usr/bin/env bash
# Runs NetLabs on this machine: the API (default port 3000) and one worker, after
# making sure the engine, images, Postgres and Redis are there. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/setup.sh
# Without a registry, labs use the local stand-ins; set LAB_IMAGE_* to use real images.
export LAB_IMAGE_HTTPD="${LAB_IMAGE_HTTPD:-netlabs-local/httpd:2.4}"
export LAB_IMAGE_UBUNTU="${LAB_IMAGE_UBUNTU:-netlabs-local/ubuntu:24.04}"
export LAB_IMAGE_CONSOLE="${LAB_IMAGE_CONSOLE:-netlabs-local/console:1}"
export LAB_IMAGE_PULL="${LAB_IMAGE_PULL:-false}"
# The token is never printed: this output often ends up in a log others can read.
# Say where it is kept instead; the file is readable by its owner only.
if [ -z "${ADMIN_TOKEN:-}" ]; then
  [ -f .netlabs-admin-token ] || (umask 077 && openssl rand -hex 24 > .netlabs-admin-token)
  chmod 600 .netlabs-admin-token
  ADMIN_TOKEN=$(cat .netlabs-admin-token)
  export ADMIN_TOKEN
  echo "[start] instructor token (ADMIN_TOKEN) kept in $(pwd)/.netlabs-admin-token (mode 600): TOKEN=\$(cat .netlabs-admin-token)"
else
  echo "[start] instructor token (ADMIN_TOKEN) taken from the environment"
fi
node dist/apps/worker/main.js &
worker=$!
node dist/apps/api/main.js &
api=$!
trap 'kill $api $worker 2>/dev/null; wait' INT TERM EXIT
wait -n $api $worker

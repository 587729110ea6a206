#!/usr/bin/env bash
# Makes sure a Docker engine is installed and answering on /var/run/docker.sock.
# Idempotent: does nothing when `docker info` already works.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "[engine] installing docker.io from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi

# The main engine's pidfile (a second test engine runs beside it with its own).
if ! { [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; }; then
  echo "[engine] starting dockerd"
  rm -f /var/run/docker.pid
  setsid dockerd --host unix:///var/run/docker.sock --pidfile /var/run/docker.pid >>/var/log/dockerd.log 2>&1 < /dev/null &
fi

for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { echo "[engine] ready"; exit 0; }
  sleep 0.5
done
echo "[engine] dockerd did not answer within 30 s; see /var/log/dockerd.log" >&2
exit 1

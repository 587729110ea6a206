#!/usr/bin/env bash
# Starts (or stops, with "stop") a second Docker engine on this machine, standing in
# for a second Docker host in multi-host tests. It has its own socket, data and bridge,
# and gets the lab images from the first engine (docker save | load), since no registry
# is reachable. Idempotent.
set -euo pipefail
SOCK=/var/run/netlabs-docker-b.sock
ROOT=/var/lib/netlabs-docker-b
EXEC=/var/run/netlabs-docker-b
PID=/var/run/netlabs-docker-b.pid
B() { docker -H "unix://$SOCK" "$@"; }

# A process that is gone, or a zombie nobody reaped yet (it no longer holds anything).
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

if [ "${1:-start}" = "stop" ]; then
  if [ -f "$PID" ]; then
    pid=$(cat "$PID")
    gone "$pid" || kill "$pid"
    for _ in $(seq 1 80); do gone "$pid" && break; sleep 0.25; done
    rm -f "$PID"
  fi
  exit 0
fi

if ! B info >/dev/null 2>&1; then
  mkdir -p "$ROOT" "$EXEC"
  ip link show nlbr-b >/dev/null 2>&1 || { ip link add nlbr-b type bridge; ip addr add 172.31.250.1/24 dev nlbr-b; ip link set nlbr-b up; }
  setsid dockerd --host "unix://$SOCK" --data-root "$ROOT" --exec-root "$EXEC" --pidfile "$PID" \
    --bridge nlbr-b >/var/log/netlabs-docker-b.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do B info >/dev/null 2>&1 && break; sleep 0.5; done
  B info >/dev/null 2>&1 || { echo "[engine-b] did not start, see /var/log/netlabs-docker-b.log" >&2; exit 1; }
fi
source "$(dirname "$0")/local-images.env"
for image in "$LAB_IMAGE_HTTPD" "$LAB_IMAGE_UBUNTU" "$LAB_IMAGE_CONSOLE" "$TEST_IMAGE_BUSYBOX" netlabs-local/base:bookworm; do
  B image inspect "$image" >/dev/null 2>&1 || docker save "$image" | B load -q >/dev/null
done
echo "[engine-b] ready on unix://$SOCK"

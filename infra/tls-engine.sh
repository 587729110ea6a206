#!/usr/bin/env bash
# Starts (or stops) an extra Docker engine on this machine reachable ONLY over mutual TLS,
# standing in for a remote Docker host in tests (engine "c"):
#
#   infra/tls-engine.sh start <certdir> <port>   # certdir: ca.pem server-cert.pem server-key.pem
#   infra/tls-engine.sh stop
#
# It listens on tcp://127.0.0.1:<port> with --tlsverify and nothing else (no unix socket: only
# a client holding a certificate of <certdir>'s CA gets in), has its own data root, exec
# root, pidfile and bridge, and gets the lab images from the first engine (docker save |
# load), since no registry is reachable. Idempotent; asked again with other certificates or
# another port, it restarts with them. Engines on one machine share the kernel: NetLabs runs
# them with ALLOCATION_SCOPE=shared, and the fences of infra/isolation.sh (iptables, by lab
# address) apply to labs of every engine, this one included.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT=/var/lib/netlabs-docker-c
EXEC=/var/run/netlabs-docker-c
PID=/var/run/netlabs-docker-c.pid
CONF=/etc/netlabs-docker-c          # the engine's copy of its certificates, and its port
LOG=/var/log/netlabs-docker-c.log

gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

stop() {
  if [ -f "$PID" ]; then
    pid=$(cat "$PID")
    gone "$pid" || kill "$pid"
    for _ in $(seq 1 120); do gone "$pid" && break; sleep 0.25; done
    gone "$pid" || { echo "[engine-c] dockerd $pid did not stop" >&2; exit 1; }
    rm -f "$PID"
  fi
}

case "${1:-}" in
  stop) stop; echo "[engine-c] stopped"; exit 0 ;;
  start) [ $# -eq 3 ] || { echo "usage: $0 start <certdir> <port> | stop" >&2; exit 2; } ;;
  *) echo "usage: $0 start <certdir> <port> | stop" >&2; exit 2 ;;
esac
CERTS="$(cd "$2" && pwd)"
PORT="$3"
for f in ca.pem server-cert.pem server-key.pem cert.pem key.pem; do
  [ -r "$CERTS/$f" ] || { echo "[engine-c] $CERTS/$f is missing (make it with infra/engine-certs.sh)" >&2; exit 1; }
done
# The engine as a client with a certificate sees it (the client files of the same CA).
C() { DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$CERTS" docker -H "tcp://127.0.0.1:$PORT" "$@"; }

same_setup() {
  [ -f "$CONF/port" ] && [ "$(cat "$CONF/port")" = "$PORT" ] || return 1
  for f in ca.pem server-cert.pem server-key.pem; do cmp -s "$CERTS/$f" "$CONF/$f" || return 1; done
}

if ! { same_setup && C info >/dev/null 2>&1; }; then
  stop
  mkdir -p "$ROOT" "$EXEC" "$CONF"
  chmod 700 "$CONF"
  install -m 600 "$CERTS/ca.pem" "$CERTS/server-cert.pem" "$CERTS/server-key.pem" "$CONF/"
  echo "$PORT" >"$CONF/port"
  ip link show nlbr-c >/dev/null 2>&1 || { ip link add nlbr-c type bridge; ip addr add 172.31.251.1/24 dev nlbr-c; ip link set nlbr-c up; }
  setsid dockerd --host "tcp://127.0.0.1:$PORT" --tlsverify \
    --tlscacert "$CONF/ca.pem" --tlscert "$CONF/server-cert.pem" --tlskey "$CONF/server-key.pem" \
    --data-root "$ROOT" --exec-root "$EXEC" --pidfile "$PID" --bridge nlbr-c >"$LOG" 2>&1 </dev/null &
  for _ in $(seq 1 60); do C info >/dev/null 2>&1 && break; sleep 0.5; done
  C info >/dev/null 2>&1 || { echo "[engine-c] did not start, see $LOG" >&2; exit 1; }
fi
# The fences are kernel rules keyed on lab addresses, whatever engine made the lab: make
# sure they are there (a machine where infra/setup.sh did not run yet).
iptables -t mangle -C FORWARD -s 10.96.0.0/14 -j NETLABS-FORWARD 2>/dev/null || bash "$HERE/isolation.sh"
source "$HERE/local-images.env"
for image in "$LAB_IMAGE_HTTPD" "$LAB_IMAGE_UBUNTU" "$LAB_IMAGE_CONSOLE" "$TEST_IMAGE_BUSYBOX" netlabs-local/base:bookworm; do
  C image inspect "$image" >/dev/null 2>&1 || docker save "$image" | C load -q >/dev/null
done
echo "[engine-c] ready on tcp://127.0.0.1:$PORT (mutual TLS, CA $CERTS/ca.pem)"

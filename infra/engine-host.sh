#!/usr/bin/env bash
# Sets up one Docker host of a multi-machine NetLabs (README, "Remote Docker hosts"), run as
# root on that host, from a checkout of this repository:
#
#   infra/engine-host.sh <host-id> <certdir> <listen-address> [port]   # set up / restart
#   infra/engine-host.sh stop                                           # stop the lab daemon
#
# <certdir> holds ca.pem, server-cert.pem and server-key.pem (infra/engine-certs.sh, run on a
# trusted machine). Settings come from /etc/netlabs/engine-host.env (ENGINE_HOST_ENV), the
# same values as the central deployment for DATABASE_URL, GATEWAY_SECRET (or ADMIN_TOKEN),
# DEPLOYMENT_ID, LAB_SUBNET_POOL, LAB_OUTBOUND and the LAB_* image and limit settings.
#
#   1. the engine (Debian's docker.io), on its unix socket and on tcp://<listen-address>:<port>
#      (2376) with --tlsverify and <certdir>'s certificates: only holders of a client
#      certificate of that CA (the central API and workers) get in;
#   2. the fences of infra/isolation.sh (lab containers reach no port of this machine, no
#      private network);
#   3. the lab images (infra/images.sh: local stand-ins, skipped when there);
#   4. the lab daemon (node dist/apps/gateway/main.js): the consoles of this host's labs talk
#      to it through GATEWAY_SOCKET; it needs the database, not Redis, and opens no port.
# Idempotent: re-run it after changing certificates or settings (the engine restarts only
# when its TLS files or address changed; the lab daemon always restarts).
set -euo pipefail
cd "$(dirname "$0")/.."
ENV_FILE="${ENGINE_HOST_ENV:-/etc/netlabs/engine-host.env}"
GW_PID=/run/netlabs-gateway.pid
TLS=/etc/netlabs/engine-tls   # the engine's copy of its certificates and address

gone() { ! kill -0 "$1" 2>/dev/null; }
stop_gateway() {
  if [ -f "$GW_PID" ]; then
    pid=$(cat "$GW_PID")
    gone "$pid" || kill "$pid"
    for _ in $(seq 1 40); do gone "$pid" && break; sleep 0.25; done
    rm -f "$GW_PID"
  fi
}
if [ "${1:-}" = "stop" ]; then stop_gateway; echo "[engine-host] lab daemon stopped"; exit 0; fi
[ $# -ge 3 ] || { echo "usage: $0 <host-id> <certdir> <listen-address> [port] | stop" >&2; exit 2; }
HOST_ID="$1"; CERTS="$(cd "$2" && pwd)"; ADDRESS="$3"; PORT="${4:-2376}"
[[ "$HOST_ID" =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || { echo "[engine-host] host id must be lowercase letters, digits and dashes" >&2; exit 2; }
for f in ca.pem server-cert.pem server-key.pem; do [ -r "$CERTS/$f" ] || { echo "[engine-host] $CERTS/$f is missing" >&2; exit 1; }; done
[ -r "$ENV_FILE" ] || { echo "[engine-host] $ENV_FILE is missing (DATABASE_URL, GATEWAY_SECRET, ...: see the README)" >&2; exit 1; }
set -a; source "$ENV_FILE"; set +a

# 1. The engine with mutual TLS.
command -v dockerd >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; }
mkdir -p "$TLS"; chmod 700 "$TLS"
changed=0
for f in ca.pem server-cert.pem server-key.pem; do cmp -s "$CERTS/$f" "$TLS/$f" || { install -m 600 "$CERTS/$f" "$TLS/$f"; changed=1; }; done
[ "$(cat "$TLS/listen" 2>/dev/null)" = "tcp://$ADDRESS:$PORT" ] || { echo "tcp://$ADDRESS:$PORT" >"$TLS/listen"; changed=1; }
FLAGS=(--host unix:///var/run/docker.sock --host "tcp://$ADDRESS:$PORT" --tlsverify
  --tlscacert "$TLS/ca.pem" --tlscert "$TLS/server-cert.pem" --tlskey "$TLS/server-key.pem")
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled docker.service >/dev/null 2>&1; then
  # systemd (a Debian server): a drop-in replaces the engine's command line.
  mkdir -p /etc/systemd/system/docker.service.d
  printf '[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd %s\n' "${FLAGS[*]}" >/etc/systemd/system/docker.service.d/netlabs-tls.conf
  systemctl daemon-reload
  if [ "$changed" = 1 ] || ! systemctl is-active -q docker.service; then systemctl restart docker.service; fi
else
  # No systemd (containers, CI): dockerd started as infra/engine.sh does, with the TLS flags.
  if [ "$changed" = 1 ] && [ -f /var/run/docker.pid ] && ! gone "$(cat /var/run/docker.pid)"; then
    pid=$(cat /var/run/docker.pid); kill "$pid"
    for _ in $(seq 1 120); do gone "$pid" && break; sleep 0.25; done
  fi
  if ! { [ -f /var/run/docker.pid ] && ! gone "$(cat /var/run/docker.pid)"; }; then
    rm -f /var/run/docker.pid
    setsid dockerd "${FLAGS[@]}" --pidfile /var/run/docker.pid >>/var/log/dockerd.log 2>&1 </dev/null &
  fi
fi
for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
docker info >/dev/null 2>&1 || { echo "[engine-host] the engine did not start (see /var/log/dockerd.log or journalctl -u docker)" >&2; exit 1; }

# 2. Fences, 3. images.
bash infra/isolation.sh
bash infra/images.sh

# 4. The lab daemon (built once from this checkout).
if [ ! -f dist/apps/gateway/main.js ]; then
  command -v node >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
  npm ci --no-audit --no-fund >/dev/null && bash infra/prisma.sh generate >/dev/null && npm run build >/dev/null
fi
stop_gateway
socket="${GATEWAY_SOCKET:-/run/netlabs/gateway.sock}"
rm -f "$socket"
DOCKER_HOSTS="$HOST_ID=unix:///var/run/docker.sock" setsid node dist/apps/gateway/main.js >>/var/log/netlabs-gateway.log 2>&1 </dev/null &
echo $! >"$GW_PID"
for _ in $(seq 1 60); do [ -S "$socket" ] && break; gone "$(cat "$GW_PID")" && break; sleep 0.5; done
[ -S "$socket" ] && ! gone "$(cat "$GW_PID")" || { echo "[engine-host] the lab daemon did not start, see /var/log/netlabs-gateway.log" >&2; exit 1; }
echo "[engine-host] $HOST_ID ready: engine on tcp://$ADDRESS:$PORT (mutual TLS), lab daemon on $socket"
echo "[engine-host] central NetLabs: DOCKER_HOSTS=...,$HOST_ID=tcp://$ADDRESS:$PORT with ca.pem cert.pem key.pem in <DOCKER_CERT_DIR>/$HOST_ID/"

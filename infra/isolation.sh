#!/usr/bin/env bash
# Fences lab containers on a Docker host with the engine's own hooks (iptables):
#
#  - chain NETLABS-INPUT, jumped to from INPUT for the lab pool: lab containers open no
#    new connection to the host itself (the API, Postgres, Redis, a Docker TCP port...).
#  - chain NETLABS-FORWARD, jumped to from DOCKER-USER (which Docker evaluates before its
#    own FORWARD rules): traffic between lab addresses goes on to Docker's isolation
#    chains (which drop anything between two different bridges); new connections from a
#    lab to other private ranges are dropped; with LAB_OUTBOUND=false, every new
#    connection leaving the pool is dropped too (the TP's `apt-get install` then fails).
#
# Idempotent: the chains are flushed and refilled. Run it on every Docker host after
# dockerd starts (infra/setup.sh does it for the local engine).
set -euo pipefail

POOL="${LAB_SUBNET_POOL:-10.96.0.0/14}"
OUTBOUND="${LAB_OUTBOUND:-true}"
PRIVATE="10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 169.254.0.0/16"

command -v iptables >/dev/null 2>&1 || { echo "[isolation] iptables missing" >&2; exit 1; }
iptables -n -L DOCKER-USER >/dev/null 2>&1 || { echo "[isolation] no DOCKER-USER chain: is dockerd running with iptables?" >&2; exit 1; }

chain() { iptables -N "$1" 2>/dev/null || iptables -F "$1"; }
jump() { iptables -C "$1" "${@:2}" 2>/dev/null || iptables -I "$1" 1 "${@:2}"; }

chain NETLABS-INPUT
iptables -A NETLABS-INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
iptables -A NETLABS-INPUT -j DROP
jump INPUT -s "$POOL" -j NETLABS-INPUT

chain NETLABS-FORWARD
iptables -A NETLABS-FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
iptables -A NETLABS-FORWARD -d "$POOL" -j RETURN
for net in $PRIVATE; do
  iptables -A NETLABS-FORWARD -d "$net" -j DROP
done
if [ "$OUTBOUND" = "false" ] || [ "$OUTBOUND" = "0" ]; then
  iptables -A NETLABS-FORWARD -j DROP
fi
jump DOCKER-USER -s "$POOL" -j NETLABS-FORWARD
echo "[isolation] lab pool $POOL fenced (outbound internet: $OUTBOUND)"

#!/usr/bin/env bash
# Fences lab containers on a Docker host with the engine's own hooks (iptables):
#
#  - chain NETLABS-INPUT, jumped to from INPUT for the lab pool: lab containers open no
#    new connection to the host itself (the API, Postgres, Redis, a Docker TCP port...).
#  - chain NETLABS-FORWARD in the mangle table, jumped to from mangle FORWARD (which the
#    kernel evaluates before the filter table, where Docker's rules are) for the lab pools
#    and the lab bridges: traffic inside one lab network (bridged, not routed) goes on to
#    Docker's rules; a new connection routed from a lab to any lab address (another
#    bridge: another lab, or the lab's other network) is dropped here, not left to
#    Docker's isolation chains, which every dockerd rewrites with its own bridges only
#    when it starts (several engines on one kernel, as in the tests, undo each other's
#    isolation; br_netfilter's physdev match tells bridged from routed); new connections from a
#    lab to other private ranges are dropped; with LAB_OUTBOUND=false, every new
#    connection leaving the pool is dropped too (the TP's `apt-get install` then fails).
#    Why mangle and not Docker's DOCKER-USER hook: dockerd deletes its FORWARD jump to
#    DOCKER-USER and inserts it again each time it creates a network, and in between a lab
#    reached the private addresses behind this machine (157 connections of 3080 tries
#    while 6 networks were created and removed, by hand on engine 20.10). Docker never
#    touches the mangle table.
#  - IPv6 (ip6tables): lab networks have no IPv6, but Linux gives every bridge a link-local
#    fe80:: address, and the host answers on it (and on its other IPv6 addresses) to
#    frames a container builds itself. Chain NETLABS6 (mangle, as above: an engine with
#    ip6tables on would move its own FORWARD rules as it does for IPv4) drops every IPv6
#    packet arriving from a lab bridge (INPUT) or crossing one (FORWARD). Why rules and not
#    `net.ipv6.conf.<bridge>.disable_ipv6=1`: bridges come and go with labs, created by
#    the engine with no hook of ours on its host, while an interface wildcard also covers
#    the bridges of labs created later. Lab bridge names are ours (LAB_BRIDGE_PATTERNS,
#    iptables wildcards: nlb<n> and chat<n> from libs/allocation). Lab containers also
#    lose NET_RAW (libs/docker/lab-hardening.ts), so they cannot build frames at all.
#
# Idempotent: the chains are replaced at once (iptables-restore). Run it on every Docker host after
# dockerd starts (infra/setup.sh does it for the local engine).
set -euo pipefail

# The lab pools to fence: 10.96.0.0/14 holds NetLabs' default pool (10.96.0.0/15) and the
# tests' (10.98.0.0/15, infra/test.sh); a LAB_SUBNET_POOL set elsewhere is fenced as well.
# LAB_FENCE_POOLS replaces the list.
POOLS="${LAB_FENCE_POOLS:-10.96.0.0/14 ${LAB_SUBNET_POOL:-}}"
POOLS="$(printf '%s\n' $POOLS | awk '!seen[$0]++' | tr '\n' ' ')"
OUTBOUND="${LAB_OUTBOUND:-true}"
BRIDGES="${LAB_BRIDGE_PATTERNS:-nlb+ chat+}"
PRIVATE="10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 169.254.0.0/16"

command -v iptables >/dev/null 2>&1 || { echo "[isolation] iptables missing" >&2; exit 1; }
iptables -n -L DOCKER-USER >/dev/null 2>&1 || { echo "[isolation] no DOCKER-USER chain: is dockerd running with iptables?" >&2; exit 1; }

jump() { iptables -C "$@" 2>/dev/null || iptables -I "$@"; } # jump [-t table] CHAIN rule...: inserted first, once

# Whether br_netfilter's physdev match works here (tells bridged traffic from routed).
physdev=false
iptables -N NETLABS-PROBE 2>/dev/null || iptables -F NETLABS-PROBE
if iptables -A NETLABS-PROBE -m physdev --physdev-is-bridged -j RETURN 2>/dev/null; then physdev=true; fi
iptables -F NETLABS-PROBE && iptables -X NETLABS-PROBE

# The chains are replaced in one iptables-restore transaction: flushing and refilling them
# rule by rule left a moment with no fence, long enough for a lab to reach another (seen
# when a second run's setup re-ran this script under live labs).
{
  echo '*filter'
  echo ':NETLABS-INPUT - [0:0]'
  echo '-A NETLABS-INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN'
  echo '-A NETLABS-INPUT -j DROP'
  echo 'COMMIT'
  echo '*mangle'
  echo ':NETLABS-FORWARD - [0:0]'
  echo '-A NETLABS-FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN'
  if $physdev; then
    echo '-A NETLABS-FORWARD -m physdev --physdev-is-bridged -j RETURN'
    for pool in $POOLS; do echo "-A NETLABS-FORWARD -d $pool -j DROP"; done
    # Routed into any lab bridge, whatever its subnet (a lab network outside the pools, as
    # the engine-level tests make): the same rule by bridge name.
    for bridge in $BRIDGES; do echo "-A NETLABS-FORWARD -o $bridge -j DROP"; done
  else
    for pool in $POOLS; do echo "-A NETLABS-FORWARD -d $pool -j RETURN"; done
  fi
  for net in $PRIVATE; do echo "-A NETLABS-FORWARD -d $net -j DROP"; done
  if [ "$OUTBOUND" = "false" ] || [ "$OUTBOUND" = "0" ]; then echo '-A NETLABS-FORWARD -j DROP'; fi
  echo 'COMMIT'
} | iptables-restore --noflush
$physdev || echo "[isolation] no physdev match (br_netfilter): traffic between lab bridges is left to Docker's isolation chains" >&2

for pool in $POOLS; do jump INPUT -s "$pool" -j NETLABS-INPUT; done
for pool in $POOLS; do jump FORWARD -t mangle -s "$pool" -j NETLABS-FORWARD; done
for bridge in $BRIDGES; do jump FORWARD -t mangle -i "$bridge" -j NETLABS-FORWARD; done

# Hosts fenced by an earlier version hang a filter chain of the same name from DOCKER-USER:
# once the mangle fence is in place, those jumps and that chain go.
if iptables -n -L NETLABS-FORWARD >/dev/null 2>&1; then
  iptables -S DOCKER-USER | grep -e '-j NETLABS-FORWARD$' | sed 's/^-A //' | while read -ra rule; do
    iptables -D "${rule[@]}"
  done
  iptables -F NETLABS-FORWARD && iptables -X NETLABS-FORWARD
fi

ipv6="off in this kernel"
if [ -e /proc/net/if_inet6 ]; then
  command -v ip6tables >/dev/null 2>&1 || { echo "[isolation] ip6tables missing: IPv6 from labs cannot be fenced" >&2; exit 1; }
  printf '%s\n' '*mangle' ':NETLABS6 - [0:0]' '-A NETLABS6 -j DROP' 'COMMIT' | ip6tables-restore --noflush
  for bridge in $BRIDGES; do
    for hook in INPUT FORWARD; do
      ip6tables -t mangle -C "$hook" -i "$bridge" -j NETLABS6 2>/dev/null || ip6tables -t mangle -I "$hook" 1 -i "$bridge" -j NETLABS6
    done
  done
  # An earlier version's chain of the same name in the filter table, and its jumps.
  if ip6tables -n -L NETLABS6 >/dev/null 2>&1; then
    for bridge in $BRIDGES; do
      for hook in INPUT FORWARD; do
        while ip6tables -D "$hook" -i "$bridge" -j NETLABS6 2>/dev/null; do :; done
      done
    done
    ip6tables -F NETLABS6 && ip6tables -X NETLABS6
  fi
  ipv6="dropped from bridges $BRIDGES"
fi
echo "[isolation] lab pools ${POOLS% } fenced (outbound internet: $OUTBOUND; IPv6 $ipv6)"

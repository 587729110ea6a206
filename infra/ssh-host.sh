#!/usr/bin/env bash
# An sshd of its own in front of this machine's engine, standing in for a Docker host that
# NetLabs reaches over SSH (`ssh://netlabs-ssh@127.0.0.1:<port>` in DOCKER_HOSTS) in tests:
#
#   infra/ssh-host.sh install              Debian's openssh-server when absent (its service is
#                                          never started), and the user netlabs-ssh (docker group)
#   infra/ssh-host.sh start <dir> <port>   sshd on 127.0.0.1:<port> only
#   infra/ssh-host.sh stop <dir>
#
# <dir> holds everything of one instance: its host key (host-key, host-key.pub: pin the .pub),
# NetLabs' client key (client-key, client-key.pub), made when missing, its config, pid and log
# (sshd.log). The client key may only run `docker system dial-stdio` (what docker-modem runs),
# as netlabs-ssh, whose docker group reaches /var/run/docker.sock. The system's sshd, its
# /etc/ssh configuration and port 22 are never touched.
set -euo pipefail
USER_NAME=netlabs-ssh
SSHD=/usr/sbin/sshd

install_sshd() {
  if [ ! -x "$SSHD" ]; then
    echo "[ssh-host] installing openssh-server"
    # Its package would start the system's sshd on port 22: refuse service starts for the
    # install (policy-rc.d), unless the machine already has such a policy.
    local policy=/usr/sbin/policy-rc.d added=""
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; added=1; fi
    local ok=1
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 openssh-server; } >/tmp/netlabs-sshd.log 2>&1 || ok=""
    [ -z "$added" ] || rm -f "$policy"
    [ -n "$ok" ] || { cat /tmp/netlabs-sshd.log >&2; exit 1; }
  fi
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    getent group docker >/dev/null || groupadd --system docker
    # Password field '*': no password login, yet not a locked account (sshd refuses those without PAM).
    useradd --system --create-home --home-dir "/var/lib/$USER_NAME" --shell /bin/sh --groups docker --password '*' "$USER_NAME"
  fi
}

running() { [ -f "$1/sshd.pid" ] && kill -0 "$(cat "$1/sshd.pid")" 2>/dev/null; }

stop_sshd() {
  running "$1" || return 0
  local pid
  pid=$(cat "$1/sshd.pid")
  kill "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "[ssh-host] sshd $pid did not stop" >&2
  exit 1
}

case "${1:-}" in
  install)
    install_sshd
    ;;
  start)
    [ $# -eq 3 ] && [[ "$3" =~ ^[0-9]+$ ]] || { echo "usage: $0 start <dir> <port>" >&2; exit 2; }
    install_sshd
    mkdir -p "$2"
    dir="$(cd "$2" && pwd)"
    port="$3"
    stop_sshd "$dir"
    [ -f "$dir/host-key" ] || ssh-keygen -q -t ed25519 -N '' -C "netlabs-ssh-host" -f "$dir/host-key"
    [ -f "$dir/client-key" ] || ssh-keygen -q -t ed25519 -N '' -C "netlabs" -f "$dir/client-key"
    # Read by sshd as the user (a public key only): world-readable, in a folder it can enter.
    chmod 755 "$dir"
    echo "restrict,command=\"docker system dial-stdio\" $(cat "$dir/client-key.pub")" >"$dir/authorized_keys"
    chmod 644 "$dir/authorized_keys"
    cat >"$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $dir/host-key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers $USER_NAME
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
# The keys file is in a folder under /tmp (world-writable), which StrictModes would refuse.
StrictModes no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
# docker-modem opens one SSH connection per Engine API call: many at once while labs provision.
MaxStartups 200:30:400
LogLevel VERBOSE
CONF
    mkdir -p /run/sshd # its privilege separation folder
    "$SSHD" -t -f "$dir/sshd_config"
    "$SSHD" -f "$dir/sshd_config" -E "$dir/sshd.log"
    for _ in $(seq 1 40); do running "$dir" && break; sleep 0.1; done
    running "$dir" || { echo "[ssh-host] sshd did not start, see $dir/sshd.log" >&2; exit 1; }
    echo "[ssh-host] sshd on 127.0.0.1:$port for $USER_NAME (docker system dial-stdio only)"
    ;;
  stop)
    [ $# -eq 2 ] || { echo "usage: $0 stop <dir>" >&2; exit 2; }
    [ -d "$2" ] || exit 0
    stop_sshd "$(cd "$2" && pwd)"
    ;;
  *)
    echo "usage: $0 install | start <dir> <port> | stop <dir>" >&2
    exit 2
    ;;
esac

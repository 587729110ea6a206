#!/usr/bin/env bash
# The shipped reverse proxy (infra/proxy/nginx.conf.template) in front of several API
# processes on this machine, for tests and development:
#
#   bash infra/proxy.sh start <listen-port> <api-port>...   (again: new list of API ports, reloaded)
#   bash infra/proxy.sh stop <listen-port>
#   bash infra/proxy.sh install                              (Debian's nginx, when absent)
#
# Each instance is an nginx of its own, listening on 127.0.0.1:<listen-port> (PROXY_ADDRESS=[::]:
# every IPv4 and IPv6 address of the machine, as a school's proxy does), with its
# configuration, pid, logs and temporary files in /run/netlabs-proxy-<listen-port>/. The
# system's nginx and its sites are never touched (nor started).
set -euo pipefail
cd "$(dirname "$0")/.."

install_nginx() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] && return 0
  echo "[proxy] installing nginx"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 nginx-light; } \
    >/tmp/netlabs-nginx.log 2>&1 || { cat /tmp/netlabs-nginx.log >&2; exit 1; }
}
NGINX=/usr/sbin/nginx
port_arg() { [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || { echo "[proxy] not a port: '${1:-}'" >&2; exit 2; }; }
running() { [ -f "$1/nginx.pid" ] && kill -0 "$(cat "$1/nginx.pid")" 2>/dev/null; }

case "${1:-}" in
  install)
    install_nginx
    ;;
  start)
    listen="${2:-}"; port_arg "$listen"; shift 2
    [ $# -ge 1 ] || { echo "usage: $0 start <listen-port> <api-port>..." >&2; exit 2; }
    address="${PROXY_ADDRESS:-127.0.0.1}"
    [[ "$address" =~ ^(127\.0\.0\.1|0\.0\.0\.0|\[::\])$ ]] || { echo "[proxy] PROXY_ADDRESS must be 127.0.0.1, 0.0.0.0 or [::]" >&2; exit 2; }
    on="$address:$listen"; [ "$address" != "[::]" ] || on+=" ipv6only=off"
    install_nginx
    dir="/run/netlabs-proxy-$listen"
    mkdir -p "$dir/logs" "$dir/tmp"
    servers=""
    for api in "$@"; do
      port_arg "$api"
      servers+="server 127.0.0.1:$api max_fails=1 fail_timeout=10s; "
    done
    sed -e "s|@NETLABS_LISTEN@|$on|" -e "s|@NETLABS_API_SERVERS@|$servers|" \
      infra/proxy/nginx.conf.template >"$dir/netlabs.conf"
    # The main context Debian's /etc/nginx/nginx.conf would give, with every path in $dir.
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
    # Which API process took each request (tests read it: test/support/scale-stack.ts).
    log_format netlabs '\$status "\$request" \$upstream_addr';
    access_log $dir/logs/access.log netlabs;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/netlabs.conf;
}
CONF
    "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf"
    if running "$dir"; then
      "$NGINX" -p "$dir" -c "$dir/nginx.conf" -s reload
    else
      # Detached from the caller's session, so a test runner's exit does not take it down by accident.
      setsid "$NGINX" -p "$dir" -c "$dir/nginx.conf" </dev/null
    fi
    for _ in $(seq 1 40); do running "$dir" && break; sleep 0.1; done
    running "$dir" || { echo "[proxy] nginx did not start, see $dir/logs/error.log" >&2; exit 1; }
    echo "[proxy] $address:$listen -> API ports $*"
    ;;
  stop)
    listen="${2:-}"; port_arg "$listen"
    dir="/run/netlabs-proxy-$listen"
    if running "$dir"; then
      pid=$(cat "$dir/nginx.pid")
      kill -QUIT "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start <listen-port> <api-port>... | stop <listen-port> | install" >&2
    exit 2
    ;;
esac

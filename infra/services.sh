#!/usr/bin/env bash
# Makes sure Postgres and Redis answer on 127.0.0.1 (installing them from Debian when
# absent) and that the NetLabs databases exist. Idempotent and quick when all is up.
set -euo pipefail

apt_install() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null 2>&1 || { echo "[services] installing postgresql"; apt_install postgresql; }
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "[services] starting postgres $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 40); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "[services] postgres does not answer on 127.0.0.1:5432" >&2; exit 1; }
fi

psql_admin() {
  # Trust auth on the CI machines; fall back to the postgres system user on a stock install.
  psql -h 127.0.0.1 -U postgres -tAc "$1" 2>/dev/null || su postgres -c "psql -tAc \"$1\""
}
# Stock Debian uses peer/md5 auth: let local TCP connections in as on the CI machines.
if ! psql -h 127.0.0.1 -U postgres -tAc 'select 1' >/dev/null 2>&1; then
  hba=$(su postgres -c "psql -tAc 'show hba_file'")
  sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\).*/\1trust/' "$hba"
  su postgres -c "psql -tAc 'select pg_reload_conf()'" >/dev/null
fi
for db in netlabs netlabs_test; do
  if [ "$(psql_admin "select 1 from pg_database where datname='$db'")" != "1" ]; then
    psql_admin "create database $db" >/dev/null && echo "[services] created database $db"
  fi
done

if ! (redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG); then
  command -v redis-server >/dev/null 2>&1 || { echo "[services] installing redis"; apt_install redis-server; }
  echo "[services] starting redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/netlabs.log
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG && break; sleep 0.25; done
  redis-cli -h 127.0.0.1 ping | grep -q PONG || { echo "[services] redis does not answer on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "[services] postgres and redis ready"

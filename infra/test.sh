#!/usr/bin/env bash
# Runs every test (unit, then end-to-end on the real engine, Postgres and Redis) after
# making sure the stack is there. Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/setup.sh
# A database of its own for a parallel test run (TEST_DATABASE_URL), created and migrated here.
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  db="${TEST_DATABASE_URL##*/}"
  psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -qc "create database $db"
  DATABASE_URL="$TEST_DATABASE_URL" bash infra/prisma.sh migrate deploy >/dev/null
fi
# Offline machines use the local stand-ins of the lab's images (infra/images.sh).
source infra/local-images.env
export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/netlabs_test}"
# Tests get their own address and port ranges, inside the fenced pool (infra/isolation.sh),
# so they never collide with labs of a NetLabs running on the same engine: 10.98.0.0/15 is
# outside NetLabs' default pool (10.96.0.0/15) and inside the fence (10.96.0.0/14).
export LAB_SUBNET_POOL="${TEST_SUBNET_POOL:-10.98.0.0/15}"
# Below the kernel's ephemeral range (32768-60999): a lab port must never be taken by an outgoing connection.
export LAB_PORT_MIN="${TEST_PORT_MIN:-30000}" LAB_PORT_MAX="${TEST_PORT_MAX:-32767}"
mkdir -p test-artifacts
npx vitest run "$@"

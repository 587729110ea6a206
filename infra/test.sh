#!/usr/bin/env bash
# Runs every test (unit, then end-to-end on the real engine, Postgres and Redis) after
# making sure the stack is there. Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/setup.sh
# Offline machines use the local stand-ins of the lab's images (infra/images.sh).
source infra/local-images.env
export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/netlabs_test}"
# Tests get their own address and port ranges, inside the fenced pool (infra/isolation.sh),
# so they never collide with labs of a NetLabs running on the same engine.
export LAB_SUBNET_POOL="${TEST_SUBNET_POOL:-10.98.0.0/15}"
export LAB_PORT_MIN=30000 LAB_PORT_MAX=39999
mkdir -p test-artifacts
npx vitest run "$@"

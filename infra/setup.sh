#!/usr/bin/env bash
# Everything NetLabs needs on this machine, each part skipped when already there:
# node modules, Docker engine, lab images, Postgres, Redis, Prisma client, migrations.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules/.bin ] || npm ci --no-audit --no-fund
bash infra/engine.sh
bash infra/isolation.sh
bash infra/images.sh
bash infra/services.sh
quiet() { "$@" >/tmp/netlabs-setup.log 2>&1 || { cat /tmp/netlabs-setup.log >&2; exit 1; }; }
quiet bash infra/prisma.sh generate
for db in netlabs netlabs_test; do
  DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$db" quiet bash infra/prisma.sh migrate deploy
done
echo "[setup] migrations applied"
npm run -s build
echo "[setup] built"

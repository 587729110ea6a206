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
bash infra/prisma.sh generate >/dev/null
for db in netlabs netlabs_test; do
  DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$db" bash infra/prisma.sh migrate deploy >/dev/null
done
echo "[setup] migrations applied"
npm run -s build
echo "[setup] built"

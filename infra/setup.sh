#!/usr/bin/env bash
# Everything NetLabs needs on this machine, each part skipped when already there:
# node modules, Docker engine, lab images, Postgres, Redis, Chromium (the browser test),
# nginx (the proxy), openssh-server (an ssh:// Docker host), Prisma client, migrations.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules/.bin ] || npm ci --no-audit --no-fund
bash infra/engine.sh
bash infra/isolation.sh
bash infra/images.sh
bash infra/services.sh
# The student-page test drives Debian's Chromium (playwright cannot download a browser here).
if [ ! -x /usr/bin/chromium ]; then
  echo "[setup] installing chromium"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium; } >/tmp/netlabs-chromium.log 2>&1 \
    || { cat /tmp/netlabs-chromium.log >&2; exit 1; }
fi
# The shipped reverse proxy (infra/proxy.sh): Debian's nginx, for the scale-out test.
bash infra/proxy.sh install
# Debian's openssh-server (never started as the system's service) for the ssh:// Docker host test.
bash infra/ssh-host.sh install
quiet() { "$@" >/tmp/netlabs-setup.log 2>&1 || { cat /tmp/netlabs-setup.log >&2; exit 1; }; }
quiet bash infra/prisma.sh generate
for db in netlabs netlabs_test; do
  DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$db" quiet bash infra/prisma.sh migrate deploy
done
echo "[setup] migrations applied"
npm run -s build
echo "[setup] built"

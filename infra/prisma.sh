#!/usr/bin/env bash
# Runs the Prisma CLI without its native engines, which cannot be downloaded on our
# machines (../shared/ENVIRONMENT.md): pointing these variables at any existing file
# makes the CLI skip the download; the client is pure TypeScript and migrations use the
# WASM schema engine through prisma.config.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$PWD/package.json}"
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-$PWD/package.json}"
export PRISMA_HIDE_UPDATE_MESSAGE=1
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/netlabs}"
exec npx --no-install prisma "$@" --config prisma/prisma.config.ts

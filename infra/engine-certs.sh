#!/usr/bin/env bash
# Makes the certificates of a Docker engine reachable over mutual TLS (tcp://host:2376 with
# --tlsverify), as Docker's own "Protect the Docker daemon socket" guide does, with openssl:
#
#   infra/engine-certs.sh <dir> <server-name-or-ip>...
#
# writes into <dir>:
#   ca.pem ca-key.pem              a CA of its own (keep ca-key.pem off the NetLabs machines)
#   server-cert.pem server-key.pem the engine's certificate, for every name or IP given
#   cert.pem key.pem               the client certificate NetLabs presents
# Idempotent: existing files are kept (delete them to make new ones; see the README's
# "Remote Docker hosts" on rotation). For NetLabs, copy ca.pem, cert.pem and key.pem into
# <DOCKER_CERT_DIR>/<host id>/; for the engine, ca.pem, server-cert.pem and server-key.pem.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 <dir> <server-name-or-ip>..." >&2; exit 2; }
DIR="$1"; shift
DAYS="${ENGINE_CERT_DAYS:-825}"
command -v openssl >/dev/null 2>&1 || { apt-get install -y -qq openssl >/dev/null; }
mkdir -p "$DIR"
chmod 700 "$DIR"
cd "$DIR"
umask 077

if [ ! -f ca.pem ] || [ ! -f ca-key.pem ]; then
  openssl genrsa -out ca-key.pem 4096 2>/dev/null
  openssl req -new -x509 -days "$DAYS" -key ca-key.pem -sha256 -subj "/CN=NetLabs engine CA $(date -u +%Y%m%d%H%M%S)" -out ca.pem
fi

san=""
for name in "$@"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then san+="IP:$name,"; else san+="DNS:$name,"; fi
done
san="${san%,}"

# sign <key> <cert> <subject> <extensions>
sign() {
  local tmp; tmp="$(mktemp -d)"
  openssl genrsa -out "$1" 2048 2>/dev/null
  openssl req -new -key "$1" -subj "$3" -out "$tmp/req.csr"
  printf '%s\n' "$4" >"$tmp/ext.cnf"
  openssl x509 -req -days "$DAYS" -sha256 -in "$tmp/req.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -extfile "$tmp/ext.cnf" -out "$2" 2>/dev/null
  rm -rf "$tmp"
}
[ -f server-cert.pem ] && [ -f server-key.pem ] || sign server-key.pem server-cert.pem "/CN=$1" "subjectAltName = $san
extendedKeyUsage = serverAuth"
[ -f cert.pem ] && [ -f key.pem ] || sign key.pem cert.pem "/CN=netlabs" "extendedKeyUsage = clientAuth"
rm -f ca.srl
chmod 600 ca-key.pem server-key.pem key.pem
chmod 644 ca.pem server-cert.pem cert.pem
echo "[engine-certs] $DIR: ca.pem server-cert.pem server-key.pem cert.pem key.pem (server names: $san)"

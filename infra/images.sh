#!/usr/bin/env bash
# Builds local stand-ins for the lab's images on machines that cannot pull from a
# registry (see ../shared/ENVIRONMENT.md). Each image is skipped when its tag exists.
#
#   netlabs-local/base:bookworm   Debian minbase + python3, curl, net-tools, iproute2, ping, procps
#   netlabs-local/ubuntu:24.04    the base, standing in for ubuntu:24.04
#   netlabs-local/httpd:2.4       the base + apache2 serving "It works!" like the official httpd image
#   netlabs-local/busybox:latest  busybox-static, a tiny image for tests
#   netlabs-local/console:1       the lab console (docker CLI, chat folder): infra/images/console
#
# Point the configuration at them with: source infra/local-images.env
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

has() { docker image inspect "$1" >/dev/null 2>&1; }
need_pkg() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }

BASE=netlabs-local/base:bookworm
if ! has "$BASE"; then
  need_pkg debootstrap debootstrap
  rootfs=$(mktemp -d /tmp/netlabs-rootfs.XXXX)
  echo "[images] debootstrap into $rootfs (about a minute)"
  debootstrap --variant=minbase --include=python3,curl,net-tools,iproute2,iputils-ping,procps \
    bookworm "$rootfs" >/tmp/netlabs-debootstrap.log 2>&1 \
    || { echo "[images] debootstrap failed, see /tmp/netlabs-debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
  rm -rf "$rootfs"
  echo "[images] built $BASE"
fi

if ! has netlabs-local/ubuntu:24.04; then
  docker tag "$BASE" netlabs-local/ubuntu:24.04
  echo "[images] tagged netlabs-local/ubuntu:24.04"
fi

if ! has netlabs-local/httpd:2.4; then
  docker build -q -t netlabs-local/httpd:2.4 -f "$here/images/httpd.Dockerfile" "$here/images" >/dev/null
  echo "[images] built netlabs-local/httpd:2.4"
fi

if ! has netlabs-local/busybox:latest; then
  need_pkg busybox busybox-static
  dir=$(mktemp -d)
  mkdir -p "$dir/bin"
  cp "$(command -v busybox)" "$dir/bin/busybox"
  for a in sh ls cat echo sleep nc wget httpd netstat ip ping hostname ps top kill grep; do ln -s busybox "$dir/bin/$a"; done
  tar -C "$dir" -c . | docker import --change 'CMD ["/bin/sh"]' - netlabs-local/busybox:latest >/dev/null
  rm -rf "$dir"
  echo "[images] built netlabs-local/busybox:latest"
fi

# The lab console is NetLabs' own image: built here from the base, with the TP's chat
# folder copied into its context (the repository root would send node_modules to the engine).
CONSOLE=netlabs-local/console:1
if ! has "$CONSOLE"; then
  ctx=$(mktemp -d /tmp/netlabs-console.XXXX)
  cp -r "$here/images/console/." "$ctx/"
  mkdir "$ctx/chat"
  cp "$here/../chat/serveur.py" "$here/../chat/client.py" "$here/../chat/Dockerfile" "$here/../chat/README.md" "$here/../chat/.dockerignore" "$ctx/chat/"
  docker build -q --build-arg BASE_IMAGE="$BASE" -t "$CONSOLE" "$ctx" >/tmp/netlabs-console-build.log 2>&1 \
    || { rm -rf "$ctx"; echo "[images] console build failed, see /tmp/netlabs-console-build.log" >&2; exit 1; }
  rm -rf "$ctx"
  echo "[images] built $CONSOLE"
fi

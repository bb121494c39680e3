# syntax=docker/dockerfile:1
# One image for the api, the order-worker, the vault-tokenizer and the egress-proxy (compose.yaml picks the
# bundle with `command`). The runtime stage holds dist/ only: esbuild bundles, the
# migrations and policy they read, the storefront build, and the one native package left
# out of the bundles (dist/node_modules/@node-rs/argon2). No source, no dev dependencies.

# Node 24 LTS, pinned to a release; CI (which reaches no image registry) passes a locally built
# image of the same release with --build-arg NODE_IMAGE=... . .ci/run tests on the same major.
ARG NODE_IMAGE=node:24.22.3-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Manifests first, so the dependency layer is reused while only source changes.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY api/package.json api/
COPY order-worker/package.json order-worker/
COPY vault-tokenizer/package.json vault-tokenizer/
COPY egress-proxy/package.json egress-proxy/
COPY admin-portal/package.json admin-portal/
COPY storefront/package.json storefront/
# npm 11 runs no dependency install script unless package.json's allowScripts names it.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot be changed at run time.
COPY --from=build /src/dist ./dist
# Not root; the same numeric id as compose.yaml's `user:`.
USER 10001:10001
EXPOSE 3000 3100
# The api's liveness route (the default command). The order-worker disables it and the
# tokenizer (mTLS only) replaces it in compose.yaml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/api/server.js"]

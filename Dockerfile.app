# syntax=docker/dockerfile:1
# The Notejam web app and its CLI (serve, migrate, wipe, seed): one image, so the schema code
# a migration Job runs is exactly the code of the release it deploys.
#
# The base is pinned to the exact Node.js release of .nvmrc (a test keeps them equal) on
# Debian bookworm-slim: the tag is immutable in practice for a given release, readable, and
# CI's build cache and Renovate-style bumps work on it; pin by digest too (FROM ...@sha256:)
# when the registry you build from is not trusted to keep tags immutable.
ARG NODE_VERSION=24.22.3

# Compilers for better-sqlite3, which builds from source on install: against the headers
# the image's Node.js ships in /usr/local/include (node-gyp would otherwise download them)
# and without trying a prebuilt binary from GitHub first, so the build needs only the npm
# registry and the Debian mirror.
FROM node:${NODE_VERSION}-bookworm-slim AS toolchain
ENV npm_config_nodedir=/usr/local \
  npm_config_build_from_source=true
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Every workspace's manifest: npm ci checks the whole lock file against them.
COPY package.json package-lock.json ./
COPY app/package.json app/
COPY operator/package.json operator/
COPY monitoring/package.json monitoring/

# Production dependencies only, in a layer that changes only with the lock file.
FROM toolchain AS production-dependencies
RUN --mount=type=cache,target=/root/.npm \
  npm ci --omit=dev --workspace app --no-audit --no-fund \
  && mkdir -p app/node_modules # the runtime stage copies it, even when npm hoisted everything

# The same build the test suite runs: npm ci (with the root's build tools: TypeScript),
# then the workspace's build script.
FROM toolchain AS build
RUN --mount=type=cache,target=/root/.npm \
  npm ci --workspace app --include-workspace-root --no-audit --no-fund
COPY tsconfig.base.json ./
COPY app/ app/
RUN npm run build --workspace app

# The image mirrors the repository with / as its root: npm hoists shared packages to
# /node_modules, the app's own non-hoisted ones stay in /app/node_modules, and Node's
# module resolution finds both from /app exactly as it does in the clone.
FROM node:${NODE_VERSION}-bookworm-slim
# NODE_OPTIONS: under load V8 grows its young generation to 64 MiB semi-spaces by default, and
# lets its old generation reach several times the live data before a full collection (its
# default ceiling is about half the container's memory). With 2 MiB semi-spaces and an old
# generation of 19 % of the container's memory limit (Node reads it from the cgroup: 97 MiB
# at the pod's default 512Mi) the app stays near 160 MiB resident under load, about 10-20 %
# more CPU on the largest page, and a user's 20,000-note page under 50 connections still has
# room (docs/benchmarks.md, "App"; bench/app runs the app with the same ceiling). The rest
# of the limit is for what lives outside V8's heap; a larger limit gives a larger heap.
ENV NODE_ENV=production \
  NODE_OPTIONS="--max-semi-space-size=2 --max-old-space-size-percentage=19" \
  PORT=3000 \
  DB_PATH=/var/lib/notejam/notejam.sqlite
# The only writable places the app needs: its SQLite data dir (a volume in Kubernetes) and /tmp.
RUN mkdir -p /var/lib/notejam && chown 1000:1000 /var/lib/notejam
WORKDIR /app
COPY --from=production-dependencies /src/node_modules /node_modules
COPY --from=production-dependencies /src/app/node_modules ./node_modules
COPY --from=build /src/app/package.json ./
COPY --from=build /src/app/dist ./dist
# Numeric uid (the image's "node" user) so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
VOLUME ["/var/lib/notejam"]
# Pages on 3000 (PORT); probes and /metrics on 9464 (MANAGEMENT_PORT), never routed publicly.
EXPOSE 3000 9464
# Node runs as PID 1 without an init: the app handles SIGTERM/SIGINT itself (graceful
# shutdown) and starts no child processes, so there is nothing to reap or forward.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MANAGEMENT_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]

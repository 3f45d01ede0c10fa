# syntax=docker/dockerfile:1
# The pushfleet image: the worker (the default command), the API and the CLI (simulator, dlq, resume...),
# each `node apps/<name>/dist/main.js` from /app. Build from the repository root:
#   docker build -t pushfleet .
# Checked by test/src/deploy/container.test.ts (no container engine runs in CI).
# Node 24, the active LTS (20 is past its end of life): the worker spends ~17% less CPU per notification on it
# than on 20 (docs/benchmarks.md, "Node 24").
ARG NODE_VERSION=24

# 1. Build: every dependency (TypeScript, turbo), compile the packages and apps to dist/.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.json ./
COPY packages ./packages
COPY apps ./apps
# Workspaces the lock file names; only their manifests (tests and deploy tooling are not in the image).
COPY deploy/package.json ./deploy/package.json
COPY test/package.json ./test/package.json
# `npm install`, not `npm ci`: see scripts/bootstrap.mjs (the lock's versions are still honoured).
RUN npm install --no-audit --no-fund --ignore-scripts \
 && npx turbo run build --filter='./packages/*' --filter='./apps/*' --output-logs=errors-only

# 2. Production dependencies only, beside the compiled output (sources, tests and dev tools left behind).
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/packages ./packages
COPY --from=build /app/apps ./apps
COPY --from=build /app/deploy/package.json ./deploy/package.json
COPY --from=build /app/test/package.json ./test/package.json
RUN find packages apps -mindepth 2 -maxdepth 2 \( -name src -o -name node_modules -o -name 'tsconfig*.json' \) \
      -exec rm -rf {} + \
 && npm install --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force

# 3. Runtime: node, the compiled fleet and its production dependencies; runs as the unprivileged `node` user.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# --max-semi-space-size=16 (Node 20's default): Node 24 sizes the young generation by the machine's memory, which
# bench:e2e measured as ~90 MB more worker RSS for no less CPU.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=16 \
    PUSHFLEET_METRICS_HOST=0.0.0.0 \
    PUSHFLEET_METRICS_PORT=9464 \
    PUSHFLEET_API_HOST=0.0.0.0 \
    PUSHFLEET_API_PORT=8080
WORKDIR /app
COPY --from=deps /app ./
# Mount points for data volumes (e.g. the simulator's credentials), owned by the runtime user.
RUN mkdir -p /data/simulator && chown -R node:node /data
USER node
EXPOSE 9464 8080
# Liveness of the worker (the default command): GET /healthz on its metrics port. The API's compose service
# and Kubernetes Deployment check its own port instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PUSHFLEET_METRICS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/worker/dist/main.js"]

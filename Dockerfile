# The recipes API image: compiled JavaScript and production dependencies on Node 24, run as user `node`.
#   docker build -t recipes-api:local .
# Behind an HTTPS-intercepting proxy, hand npm the proxy's CA (PEM text, not a path):
#   docker build --build-arg NPM_CA="$(cat proxy-ca.pem)" -t recipes-api:local .
# The CA is used by the npm stages only; the final image never contains it.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app

# All dependencies, for the TypeScript build.
FROM base AS deps
ARG NPM_CA=""
COPY package.json package-lock.json ./
RUN if [ -n "$NPM_CA" ]; then printf '%s\n' "$NPM_CA" > /tmp/npm-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/npm-ca.pem; fi \
 && npm ci --no-audit --no-fund --no-update-notifier \
 && rm -f /tmp/npm-ca.pem

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY app/src app/src
# tsc to dist/, plus the SQL migrations next to the compiled module that reads them.
RUN npm run build

# Production dependencies only, installed apart so that no npm cache or dev tool reaches the final image.
FROM base AS prod-deps
ARG NPM_CA=""
COPY package.json package-lock.json ./
RUN if [ -n "$NPM_CA" ]; then printf '%s\n' "$NPM_CA" > /tmp/npm-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/npm-ca.pem; fi \
 && npm ci --omit=dev --no-audit --no-fund --no-update-notifier \
 && rm -f /tmp/npm-ca.pem

FROM base AS runtime
ENV NODE_ENV=production
# glibc serves a large allocation with mmap and unmaps it on free, but then raises that threshold to the size of the
# block freed. A login's scrypt needs 16 MiB (app/src/auth/passwords.ts), so without a fixed threshold every libuv
# pool thread keeps 16 MiB in its malloc arena after its first login: a replica's RSS climbs from about 120 to over
# 200 MiB in its first few logins under load. Set, the threshold stays at glibc's default of 128 KiB.
ENV MALLOC_MMAP_THRESHOLD_=131072
# glibc gives each thread that allocates an arena of its own (up to 8 per core); Node's libuv pool and V8's workers
# are ten threads. Two arenas hold a replica's malloc'd memory (Buffers, socket reads) a few MiB lower under load, for
# the same CPU per request.
ENV MALLOC_ARENA_MAX=2
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Node itself is the process (no npm wrapper), so SIGTERM reaches the server's drain logic.
CMD ["node", "dist/main/server.js"]

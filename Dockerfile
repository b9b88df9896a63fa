# syntax=docker/dockerfile:1
# A murmur peer (`murmur agent`) in a container: multi-stage (build with dev dependencies, run without),
# non-root (the image's `node` user, uid 1000), documents and identity in the /data volume.
#
#   docker build -t murmur .
#   docker run -d -p 4001:4001 -p 4001:4001/udp -v murmur-data:/data \
#     -e MURMUR_HTTP_TOKEN=$(openssl rand -hex 16) \
#     -e MURMUR_ADVERTISE=/ip4/<address the other peers reach>/tcp/4001 \
#     -e MURMUR_BOOTSTRAP=/ip4/<a peer>/tcp/4001 murmur
#
# Every flag of `murmur agent --help` is also a MURMUR_* variable (README: "Config file and environment").
# The HTTP API listens on 0.0.0.0:8080 inside the container (MURMUR_HTTP), so a token is required
# (MURMUR_HTTP_TOKEN, or MURMUR_HTTP_TOKEN_FILE pointing at a mounted secret); without one the agent refuses
# to start. Another port (-e MURMUR_HTTP=0.0.0.0:9000, `agent --http …`, a config file) needs nothing else:
# the agent records where it serves in /data/http-addr, and the health check and `murmur` commands read it.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the build is the next step.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# `npm run build` also bundles the peer process (dist/peer.js) and the browser code: the /mesh page (web/)
# and the example app's notes pad.
COPY scripts/build.ts scripts/build-bundles.ts ./scripts/
COPY web ./web
COPY examples/chat-counter ./examples/chat-counter
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    MURMUR_DATA_DIR=/data \
    MURMUR_LISTEN=/ip4/0.0.0.0/tcp/4001 \
    MURMUR_HTTP=0.0.0.0:8080
WORKDIR /opt/murmur
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The example app (compose.yaml runs it beside the peers), with the notes pad built above; it imports ../../dist.
COPY --from=build /src/examples/chat-counter ./examples/chat-counter
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4001 4001/udp 8080
# Liveness: `murmur health` asks /health (no token needed; it says nothing else) wherever the agent serves
# it, as recorded in /data/http-addr: the check follows the configured HTTP address, no port written here.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "dist/murmur.js", "health"]
ENTRYPOINT ["node", "dist/murmur.js"]
CMD ["agent"]

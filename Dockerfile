# Vigil's image: one for every process (`worker`, `ingest`, `sink`, `board`, `services up` against
# external servers, and the rest of the CLI), chosen by its command. docker-compose.yml and
# deploy/kubernetes/ run it; it holds no server of its own (Temporal, Kafka, PostgreSQL, the model
# store are named by the environment).
#
#   docker build -t vigil:local .
#   docker run --rm vigil:local --help
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    VIGIL_HOME=/var/lib/vigil \
    VIGIL_METRICS_HOST=0.0.0.0

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations

# The state folder: the HTM model cache in front of the shared store (VIGIL_MODEL_CACHE_DIR).
RUN mkdir -p /var/lib/vigil && chown node:node /var/lib/vigil
USER node

# The metrics ports with /metrics, /healthz and /readyz: ingest, worker, sink.
EXPOSE 9464 9465 9467
ENTRYPOINT ["node", "--import", "tsx", "src/cli.ts"]
CMD ["--help"]

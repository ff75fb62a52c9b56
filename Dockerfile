# The cvmflow worker image: TypeScript compiled and the workflow bundle built at image build time,
# so the worker starts without bundling. It connects to TEMPORAL_ADDRESS (no embedded dev server).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY assets ./assets
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CVMFLOW_LOG_FORMAT=json \
    CVMFLOW_METRICS_ADDRESS=0.0.0.0:9464
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY --from=build /app/assets ./assets
COPY bin ./bin
USER node
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/metrics').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "lib/worker/main.js"]

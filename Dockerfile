# Multi-stage build: compile TypeScript with the dev dependencies, then run the compiled gateway under tini as a non-root user.
# Node 22 LTS: Node 20 reached end of life on 2026-04-30; 22 gets security fixes until 2027-04-30 (engines allows >=20.10).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && rm -f dist/.tsbuildinfo && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
# tini as PID 1: passes SIGTERM/SIGINT to the gateway alone (it drains, then stops its stdio MCP servers itself)
# and reaps what those servers leave behind; -s keeps reaping when `docker run --init` puts another init above it.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 GATEWAY_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json NOTICE ./
COPY drizzle ./drizzle
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "-s", "--"]
CMD ["node", "dist/main.js"]

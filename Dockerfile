# Multi-stage: compile with dev dependencies, ship only production ones as a non-root user.
# The image runs on the current Node.js LTS (24); the code itself also runs on Node.js 20 (tests).
# `make image-check` builds and runs it here (scripts/image-check.sh).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/src/main.js"]
CMD ["run"]

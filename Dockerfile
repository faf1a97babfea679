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
# V8 flags for a small, long-lived process that mostly waits on the network (bench/README.md has
# the figures; `make bench` starts the operator with exactly these flags, read from this line):
#   --max-semi-space-size=1    new space of 1 MiB semi-spaces instead of growing to 16 MiB each:
#                              the operator's objects are short-lived JSON; up to 30 MiB of RSS.
#   --no-turbofan              no optimizing compiler: its compile jobs and optimized code cost
#                              about 10 MiB, for a process whose time goes to waiting on AWS and
#                              the API server (CPU per reconcile is up to 40% higher).
#   --no-maglev                no mid-tier optimizing compiler: on by default from Node 22 (off
#                              in Node 20, where the bench's figures were taken); on the image's
#                              Node 24 the bench's four-account peak was 124.8 MiB with it and
#                              111.6 without (its code and background compile jobs' memory).
#   --no-sparkplug             no baseline compiler either: bytecode only. Its machine code was
#                              the code space (2.5 MiB) and the pages around it: peak RSS of the
#                              bench's four-account converge 98.9 -> 93.0 MiB, CPU within noise.
#   --optimize-for-size        V8's low-memory mode: the old generation grows in steps of 4 MiB
#                              instead of 16 (on a 64-bit heap) and is compacted more eagerly;
#                              that step, not the growth factor, set the heap's size at the
#                              operator's 30-40 MiB of live objects (peak 104.5 -> 98.9 MiB).
#   --heap-growing-percent=30  a full GC when the old generation has grown 30% past what the last
#                              one kept, instead of V8's factor of up to 4 for a fast heap: RSS
#                              follows the live objects, at the price of more frequent GCs.
# Further flags (e.g. --max-old-space-size) can be added with NODE_OPTIONS (the chart's extraEnv).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--no-turbofan", "--no-maglev", "--no-sparkplug", "--optimize-for-size", "--heap-growing-percent=30", "/app/dist/src/main.js"]
CMD ["run"]

# Multi-stage build on Node 20 (Debian). The build stage compiles nodejieba's native addon
# (python3, make and g++ come with the full node image) and the TypeScript; the runtime stage
# carries only production dependencies, the compiled code and the sample posts.

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Same install as .ci/run: the lockfile, install scripts on (nodejieba builds from source).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000 INDEX_DIR=/data/index-data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The launcher starts the service with the malloc settings it is measured with (GLIBC_TUNABLES,
# set in bin/tuned-node.js, which says why) and passes `docker stop`'s SIGTERM on.
COPY bin ./bin
COPY src/web ./src/web
COPY seeds ./seeds
RUN mkdir -p /data/index-data && chown -R node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Serves INDEX_DIR, building it from seeds/ on first start. To serve your own posts and follow
# them as they change, mount them:
#   docker run -v /srv/posts:/posts … node bin/zh-news-search.js serve --index /data/index-data --watch /posts
# `docker stop` sends SIGTERM: requests in flight finish and a snapshot is written before exit.
CMD ["node", "bin/zh-news-search.js", "start"]

# Production image on the current Node LTS. Build: docker build -t tollgate .
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npx tsc -p tsconfig.json --outDir dist && rm -rf dist/test
# The web console (served at /console/ by the app) is built here; only its static files ship.
COPY web ./web
RUN npm run build:web

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
USER node
EXPOSE 3000
# Roles: all (default) | api | worker. The CLI: node dist/src/cli/main.js <command>.
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["all"]

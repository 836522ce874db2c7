# redpy as a drop-in for the redis image: `redis-server` (redpy-server with redis-server's
# arguments) and `redis-cli` (Debian's redis-tools) on the PATH, data in /data.
FROM python:3.11-slim

# redis-cli for `docker compose exec redis redis-cli` and the healthcheck.
# The redis user comes first: redis-tools' install script would otherwise create one.
# hadolint ignore=DL3008
RUN groupadd --system --gid 999 redis \
    && useradd --system --uid 999 --gid 999 --home-dir /data --no-create-home redis \
    && apt-get update \
    && apt-get install -y --no-install-recommends redis-tools \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data \
    && chown redis:redis /data

WORKDIR /usr/src/redpy
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . \
    && rm -rf /usr/src/redpy

COPY docker/redis-server docker/docker-entrypoint.sh docker/healthcheck /usr/local/bin/

VOLUME /data
WORKDIR /data
USER 999:999
EXPOSE 6379
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 CMD ["healthcheck"]
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]

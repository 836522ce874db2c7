"""Literals used by the Redis charm."""

REDIS_PORT = 6379

CONTAINER = "redis"
SERVICE = "redis"
PEER_RELATION = "redis-peers"
REDIS_RELATION = "redis"

CONFIG_PATH = "/etc/redis/redis.conf"
DATA_DIR = "/var/lib/redis"
# The redis user of the redpy image (see the project's Dockerfile).
REDIS_UID = 999
REDIS_GID = 999

SECRET_LABEL = "redis-password"
SECRET_KEY = "password"
# Peer relation application data: the id of the password secret, so that every unit
# can read it, and a counter bumped at each rotation, so that peers re-render.
PEER_SECRET_ID = "password-secret-id"
PEER_PASSWORD_REVISION = "password-revision"

MAXMEMORY_POLICIES = (
    "volatile-lru",
    "allkeys-lru",
    "volatile-lfu",
    "allkeys-lfu",
    "volatile-random",
    "allkeys-random",
    "volatile-ttl",
    "noeviction",
)
LOGLEVELS = ("debug", "verbose", "notice", "warning")

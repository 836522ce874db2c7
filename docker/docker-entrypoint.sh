#!/bin/sh
# Image entrypoint: `docker run image --port 6380` means `redis-server --port 6380`
# (arguments starting with "-", or a *.conf file, are redis-server's); anything else
# (sh, redis-cli ...) runs as given.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi
exec "$@"

"""A page-hit counter: Flask + Redis (INCR), as in the Docker Compose workshop.

    REDIS_URL=redis://localhost:6379/0 flask --app app run      # against a server
    python app.py                                              # alone: embedded redpy

The Redis URL comes from $REDIS_URL (docker-compose.yml sets redis://redis:6379/0, the
`redis` service). With no REDIS_URL, `python app.py` starts an embedded redpy server in
this process and uses it.
"""

from __future__ import annotations

import os

from flask import Flask

from redpy.client import connect

COUNTER_KEY = "page_hits"


def create_app(redis_url: str | None = None, **config) -> Flask:
    app = Flask(__name__)
    app.config.update(REDIS_URL=redis_url or os.environ.get("REDIS_URL"), **config)
    if not app.config["REDIS_URL"]:
        raise RuntimeError("no Redis URL: set REDIS_URL or pass redis_url")
    app.extensions["redis"] = connect(app.config["REDIS_URL"], decode_responses=True)

    @app.route("/")
    def index():
        hits = app.extensions["redis"].incr(COUNTER_KEY)
        return f"This page has been visited {hits} times."

    @app.route("/healthz")
    def healthz():
        app.extensions["redis"].ping()
        return "ok"

    return app


def main() -> None:
    host = os.environ.get("FLASK_RUN_HOST", "127.0.0.1")
    port = int(os.environ.get("FLASK_RUN_PORT", "5000"))
    if os.environ.get("REDIS_URL"):
        create_app().run(host=host, port=port)
        return
    from redpy import EmbeddedServer

    with EmbeddedServer() as server:
        print(f"embedded redpy server at {server.url}")
        create_app(server.url).run(host=host, port=port)


if __name__ == "__main__":
    main()

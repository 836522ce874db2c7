"""The example's own tests: `pytest` in examples/flask-counter (pip install flask redpy).

`redis_server_url` and `redis_client` come from redpy's pytest plugin: an embedded redpy
server, started once for the session; the database is flushed for each test.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app  # noqa: E402


def test_counts_visits(redis_server_url, redis_client):
    client = create_app(redis_server_url).test_client()
    assert client.get("/").get_data(as_text=True) == "This page has been visited 1 times."
    assert client.get("/").get_data(as_text=True) == "This page has been visited 2 times."
    assert redis_client.get("page_hits") == "2"


def test_starts_from_stored_count(redis_server_url, redis_client):
    redis_client.set("page_hits", 99)
    client = create_app(redis_server_url).test_client()
    assert client.get("/").get_data(as_text=True) == "This page has been visited 100 times."

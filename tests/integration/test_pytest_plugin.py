"""The pytest plugin (redpy.pytest_plugin, entry point pytest11 `redpy`) in a separate
pytest run over a small test file, as another project would use it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

USER_TESTS = textwrap.dedent(
    '''
    import redis

    SEEN = []

    def test_client_works(redis_client):
        assert redis_client.ping() is True
        assert redis_client.set("greeting", "Hello from Redis")
        assert redis_client.get("greeting") == "Hello from Redis"
        assert redis_client.incr("hits") == 1

    def test_flushed_between_tests(redis_client, redis_server_url):
        assert redis_client.dbsize() == 0
        assert redis_server_url.startswith("redis://127.0.0.1:")
        SEEN.append(redis_server_url)

    def test_url_is_session_wide(redis_server_url):
        assert SEEN == [redis_server_url]
        assert redis.Redis.from_url(redis_server_url).info("server")["redis_version"] == "7.0.15"

    def test_isolated_server(redis_isolated_url, redis_server_url):
        assert redis_isolated_url != redis_server_url
        r = redis.Redis.from_url(redis_isolated_url)
        r.set("only-here", 1)
        assert redis.Redis.from_url(redis_server_url).exists("only-here") == 0
    '''
)


def _run(tmp_path, *args):
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, "test_user.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )


def test_plugin_fixtures_in_another_project(tmp_path):
    p = _run(tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "4 passed" in p.stdout


def test_plugin_is_registered_by_entry_point(tmp_path):
    # With the plugin disabled the fixtures do not exist: proof they come from the entry point.
    p = _run(tmp_path, "-p", "no:redpy")
    assert p.returncode != 0
    assert "fixture 'redis_client' not found" in p.stdout

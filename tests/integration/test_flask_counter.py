"""examples/flask-counter: the hit counter app through Flask's test client, against redpy."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ..helpers import free_port

pytest.importorskip("flask")

APP_DIR = Path(__file__).resolve().parents[2] / "examples" / "flask-counter"


def _load_app_module():
    spec = importlib.util.spec_from_file_location("flask_counter_app", APP_DIR / "app.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def app_module():
    return _load_app_module()


@pytest.fixture
def url(redpy_server, r):  # r: database flushed first
    return f"redis://127.0.0.1:{redpy_server.port}/0"


def test_counts_hits(app_module, url, r):
    client = app_module.create_app(url).test_client()
    for n in (1, 2, 3):
        resp = client.get("/")
        assert resp.status_code == 200
        assert resp.get_data(as_text=True) == f"This page has been visited {n} times."
    assert r.call("GET", "page_hits") == b"$1\r\n3\r\n"
    assert r.call("TYPE", "page_hits") == b"+string\r\n"


def test_redis_url_from_environment(app_module, url, r, monkeypatch):
    monkeypatch.setenv("REDIS_URL", url.replace("/0", "/3"))
    client = app_module.create_app().test_client()
    assert client.get("/").get_data(as_text=True) == "This page has been visited 1 times."
    r.call("SELECT", "3")
    assert r.call("GET", "page_hits") == b"$1\r\n1\r\n"
    r.call("SELECT", "0")
    assert r.call("EXISTS", "page_hits") == b":0\r\n"


def test_counter_continues_from_existing_value(app_module, url, r):
    r.call("SET", "page_hits", "41")
    client = app_module.create_app(url).test_client()
    assert client.get("/").get_data(as_text=True) == "This page has been visited 42 times."


def test_healthz(app_module, url):
    assert app_module.create_app(url).test_client().get("/healthz").get_data(as_text=True) == "ok"


def test_no_url_is_an_error(app_module, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        app_module.create_app()


def test_runs_alone_with_embedded_server():
    """`python app.py` with no REDIS_URL: an embedded redpy server in the same process."""
    port = free_port()
    env = dict(os.environ, FLASK_RUN_PORT=str(port))
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=APP_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        pages = []
        while time.monotonic() < deadline and len(pages) < 2:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    pages.append(resp.read().decode())
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                time.sleep(0.3)
        assert pages == ["This page has been visited 1 times.", "This page has been visited 2 times."]
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def test_example_own_tests_pass():
    """examples/flask-counter/tests, run as the example's user would (pytest plugin fixtures)."""
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                       cwd=APP_DIR, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "2 passed" in p.stdout

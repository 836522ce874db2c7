"""Shared helpers for the charm's state-transition tests (ops.testing Context/State)."""

import pytest
from ops import testing

from charm import RedisK8sCharm
from literals import CONFIG_PATH, SECRET_LABEL


@pytest.fixture
def ctx():
    return testing.Context(RedisK8sCharm)


def container(**kwargs):
    kwargs.setdefault("can_connect", True)
    return testing.Container("redis", **kwargs)


def password_secret(password="s3cret-pw"):
    return testing.Secret(
        tracked_content={"password": password}, owner="app", label=SECRET_LABEL
    )


def rendered_config(ctx, state):
    """The redis.conf the charm pushed into the workload container."""
    fs = state.get_container("redis").get_filesystem(ctx)
    return (fs / CONFIG_PATH.lstrip("/")).read_text()


def config_lines(text):
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def secret_password(state):
    (secret,) = [s for s in state.secrets if s.label == SECRET_LABEL]
    return secret.latest_content["password"]

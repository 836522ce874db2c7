"""State-transition tests of RedisK8sCharm: lifecycle, config, secret, actions, status."""

import ops
import pytest
from ops import pebble, testing

from literals import PEER_PASSWORD_REVISION, PEER_SECRET_ID

from .conftest import config_lines, container, password_secret, rendered_config, secret_password


def leader_state(**kwargs):
    kwargs.setdefault("leader", True)
    kwargs.setdefault("containers", {container()})
    kwargs.setdefault("relations", {testing.PeerRelation("redis-peers")})
    return testing.State(**kwargs)


# ---------------------------------------------------------------------- pebble-ready


def test_pebble_ready_leader_generates_password_and_starts_redis(ctx):
    out = ctx.run(ctx.on.pebble_ready(container()), leader_state())

    password = secret_password(out)
    assert len(password) >= 32
    conf = rendered_config(ctx, out)
    assert f'requirepass "{password}"' in config_lines(conf)
    assert "port 6379" in config_lines(conf)

    plan = out.get_container("redis").plan
    service = plan.services["redis"]
    assert service.command == "redis-server /etc/redis/redis.conf"
    assert service.startup == "enabled"
    assert plan.checks["redis-alive"].tcp == {"port": 6379}
    ready = plan.checks["redis-ready"]
    assert "redis-cli -p 6379 ping" in ready.exec["command"]
    assert ready.exec["environment"] == {"REDISCLI_AUTH": password}
    assert out.get_container("redis").service_statuses["redis"] == pebble.ServiceStatus.ACTIVE
    assert out.unit_status == ops.ActiveStatus()


def test_pebble_ready_shares_secret_id_with_peers(ctx):
    peers = testing.PeerRelation("redis-peers")
    out = ctx.run(ctx.on.pebble_ready(container()), leader_state(relations={peers}))
    (secret,) = out.secrets
    assert secret.owner == "app"
    assert out.get_relation(peers.id).local_app_data[PEER_SECRET_ID] == secret.id


def test_password_is_generated_once(ctx):
    out = ctx.run(ctx.on.pebble_ready(container()), leader_state())
    first = secret_password(out)
    out = ctx.run(ctx.on.config_changed(), out)
    out = ctx.run(ctx.on.leader_elected(), out)
    assert len(out.secrets) == 1
    assert secret_password(out) == first


def test_pebble_not_ready_waits(ctx):
    out = ctx.run(ctx.on.config_changed(), leader_state(containers={container(can_connect=False)}))
    assert out.unit_status == ops.WaitingStatus("waiting for Pebble in the redis container")
    # The password is generated anyway, ready for when Pebble comes up.
    assert secret_password(out)


def test_existing_secret_is_used(ctx):
    secret = password_secret("existing-pw")
    out = ctx.run(ctx.on.pebble_ready(container()), leader_state(secrets={secret}))
    assert len(out.secrets) == 1
    assert 'requirepass "existing-pw"' in config_lines(rendered_config(ctx, out))


# ---------------------------------------------------------------------- config-changed


def test_config_options_are_rendered(ctx):
    config = {
        "maxmemory": "100MB",
        "maxmemory-policy": "allkeys-lru",
        "appendonly": True,
        "save": "900 1  300 10",
        "loglevel": "warning",
    }
    out = ctx.run(ctx.on.config_changed(), leader_state(config=config))
    lines = config_lines(rendered_config(ctx, out))
    for expected in (
        "maxmemory 100mb",
        "maxmemory-policy allkeys-lru",
        "appendonly yes",
        "save 900 1 300 10",
        "loglevel warning",
    ):
        assert expected in lines
    assert out.unit_status == ops.ActiveStatus()


def test_default_config_is_rendered(ctx):
    out = ctx.run(ctx.on.config_changed(), leader_state())
    lines = config_lines(rendered_config(ctx, out))
    for expected in (
        "maxmemory 0",
        "maxmemory-policy noeviction",
        "appendonly no",
        "save 3600 1 300 100 60 10000",
        "loglevel notice",
    ):
        assert expected in lines


def test_empty_save_disables_snapshots(ctx):
    out = ctx.run(ctx.on.config_changed(), leader_state(config={"save": ""}))
    assert 'save ""' in config_lines(rendered_config(ctx, out))


@pytest.mark.parametrize(
    "option,value,fragment",
    [
        ("maxmemory", "lots", "maxmemory 'lots'"),
        ("maxmemory-policy", "lru", "maxmemory-policy 'lru'"),
        ("save", "900", "save '900'"),
        ("save", "900 x", "save '900 x'"),
        ("loglevel", "chatty", "loglevel 'chatty'"),
    ],
)
def test_invalid_config_blocks_and_is_not_pushed(ctx, option, value, fragment):
    out = ctx.run(ctx.on.config_changed(), leader_state(config={option: value}))
    assert isinstance(out.unit_status, ops.BlockedStatus)
    assert out.unit_status.message.startswith("invalid config: ")
    assert fragment in out.unit_status.message
    assert "redis" not in out.get_container("redis").plan.services


def test_config_change_rewrites_config_and_restarts(ctx, monkeypatch, tmp_path):
    # A mount keeps the pushed files from one run to the next.
    c = container(mounts={"conf": testing.Mount(location="/etc/redis", source=tmp_path)})
    out = ctx.run(ctx.on.pebble_ready(c), leader_state(containers={c}))
    assert (tmp_path / "redis.conf").read_text() == rendered_config(ctx, out)
    restarts = []
    original = ops.Container.restart
    monkeypatch.setattr(ops.Container, "restart", lambda self, *s: (restarts.append(s), original(self, *s)))

    out = ctx.run(ctx.on.config_changed(), testing.State(
        leader=True, containers=out.containers, relations=out.relations, secrets=out.secrets,
        config={"maxmemory": "1gb"}))
    assert "maxmemory 1gb" in config_lines(rendered_config(ctx, out))
    assert restarts == [("redis",)]

    restarts.clear()
    out = ctx.run(ctx.on.config_changed(), out)  # same config: no restart
    assert restarts == []


# ---------------------------------------------------------------------- leader / peers


def test_non_leader_reads_password_through_peer_secret_id(ctx):
    secret = password_secret("peer-pw")
    peers = testing.PeerRelation("redis-peers", local_app_data={PEER_SECRET_ID: secret.id})
    state = testing.State(leader=False, containers={container()}, relations={peers}, secrets={secret})
    out = ctx.run(ctx.on.pebble_ready(container()), state)
    assert 'requirepass "peer-pw"' in config_lines(rendered_config(ctx, out))
    assert out.unit_status == ops.ActiveStatus()


def test_non_leader_without_password_waits(ctx):
    state = testing.State(leader=False, containers={container()},
                          relations={testing.PeerRelation("redis-peers")})
    out = ctx.run(ctx.on.pebble_ready(container()), state)
    assert out.secrets == frozenset()
    assert out.unit_status == ops.WaitingStatus("waiting for the leader to generate the password")
    assert "redis" not in out.get_container("redis").plan.services


def test_leader_elected_publishes_secret_and_leader_host(ctx):
    secret = password_secret("old-leader-pw")
    redis_rel = testing.Relation("redis", remote_app_name="webapp")
    peers = testing.PeerRelation("redis-peers")
    out = ctx.run(ctx.on.leader_elected(),
                  leader_state(relations={peers, redis_rel}, secrets={secret}))
    assert out.get_relation(peers.id).local_app_data[PEER_SECRET_ID] == secret.id
    rel = out.get_relation(redis_rel.id)
    assert rel.local_app_data["leader-host"] == rel.local_unit_data["hostname"]
    assert rel.local_unit_data["password"] == "old-leader-pw"


def test_peer_password_revision_makes_non_leader_rerender(ctx):
    secret = password_secret("before")
    peers = testing.PeerRelation("redis-peers", local_app_data={PEER_SECRET_ID: secret.id})
    state = testing.State(leader=False, containers={container()}, relations={peers}, secrets={secret})
    out = ctx.run(ctx.on.pebble_ready(container()), state)
    # The leader rotated: new content in the secret, revision bumped in peer data.
    rotated = testing.Secret(tracked_content={"password": "after"}, owner="app",
                             label=secret.label, id=secret.id)
    peers2 = testing.PeerRelation("redis-peers", id=peers.id, peers_data={1: {}},
                                  local_app_data={PEER_SECRET_ID: secret.id, PEER_PASSWORD_REVISION: "1"})
    state = testing.State(leader=False, containers=out.containers, relations={peers2}, secrets={rotated})
    out = ctx.run(ctx.on.relation_changed(peers2, remote_unit=1), state)
    assert 'requirepass "after"' in config_lines(rendered_config(ctx, out))


# ---------------------------------------------------------------------- status


def test_scale_beyond_one_unit_blocks(ctx):
    out = ctx.run(ctx.on.config_changed(), leader_state(planned_units=3))
    assert isinstance(out.unit_status, ops.BlockedStatus)
    assert "replication is not supported yet" in out.unit_status.message


def test_scale_beyond_one_unit_non_leader_does_not_run_redis(ctx):
    secret = password_secret()
    peers = testing.PeerRelation("redis-peers", local_app_data={PEER_SECRET_ID: secret.id})
    state = testing.State(leader=False, planned_units=2, containers={container()},
                          relations={peers}, secrets={secret})
    out = ctx.run(ctx.on.pebble_ready(container()), state)
    assert "redis" not in out.get_container("redis").plan.services
    assert "replication is not supported yet" in out.unit_status.message


def test_stopped_service_is_maintenance(ctx):
    out = ctx.run(ctx.on.pebble_ready(container()), leader_state())
    (c,) = out.containers
    stopped = testing.Container("redis", can_connect=True, layers=c.layers,
                                service_statuses={"redis": pebble.ServiceStatus.INACTIVE})
    # update-status only collects status: the service is not (re)started by it.
    out = ctx.run(ctx.on.update_status(), testing.State(
        leader=True, containers={stopped}, relations=out.relations, secrets=out.secrets))
    assert out.unit_status == ops.MaintenanceStatus("starting redis")


def test_failing_ready_check_is_waiting(ctx):
    out = ctx.run(ctx.on.pebble_ready(container()), leader_state())
    (c,) = out.containers
    failing = testing.Container(
        "redis", can_connect=True, layers=c.layers, service_statuses=c.service_statuses,
        check_infos={testing.CheckInfo("redis-ready", level=pebble.CheckLevel.READY,
                                       status=pebble.CheckStatus.DOWN, failures=3)})
    out = ctx.run(ctx.on.update_status(), testing.State(
        leader=True, containers={failing}, relations=out.relations, secrets=out.secrets))
    assert out.unit_status == ops.WaitingStatus("redis is not answering PING yet (redis-ready)")


# ---------------------------------------------------------------------- actions


def test_get_password_action(ctx):
    out = ctx.run(ctx.on.pebble_ready(container()), leader_state())
    ctx.run(ctx.on.action("get-password"), out)
    assert ctx.action_results == {"password": secret_password(out)}


def test_get_password_before_generation_fails(ctx):
    state = testing.State(leader=False, containers={container()},
                          relations={testing.PeerRelation("redis-peers")})
    with pytest.raises(testing.ActionFailed) as e:
        ctx.run(ctx.on.action("get-password"), state)
    assert "not been generated yet" in e.value.message


def test_set_password_rotates_everything(ctx, monkeypatch, tmp_path):
    redis_rel = testing.Relation("redis", remote_app_name="webapp")
    peers = testing.PeerRelation("redis-peers")
    c = container(mounts={"conf": testing.Mount(location="/etc/redis", source=tmp_path)})
    out = ctx.run(ctx.on.pebble_ready(c), leader_state(containers={c}, relations={peers, redis_rel}))
    old = secret_password(out)
    assert out.get_relation(redis_rel.id).local_unit_data["password"] == old
    restarts = []
    original = ops.Container.restart
    monkeypatch.setattr(ops.Container, "restart", lambda self, *s: (restarts.append(s), original(self, *s)))

    out = ctx.run(ctx.on.action("set-password", params={"password": "N3w-Passw0rd!"}), out)
    assert ctx.action_results == {"password": "N3w-Passw0rd!"}
    assert secret_password(out) == "N3w-Passw0rd!"
    assert 'requirepass "N3w-Passw0rd!"' in config_lines(rendered_config(ctx, out))
    plan = out.get_container("redis").plan
    assert plan.checks["redis-ready"].exec["environment"] == {"REDISCLI_AUTH": "N3w-Passw0rd!"}
    assert out.get_relation(redis_rel.id).local_unit_data["password"] == "N3w-Passw0rd!"
    assert out.get_relation(peers.id).local_app_data[PEER_PASSWORD_REVISION] == "1"
    assert restarts == [("redis",)]  # the running server must load the new requirepass
    assert out.unit_status == ops.ActiveStatus()

    ctx.run(ctx.on.action("get-password"), out)
    assert ctx.action_results == {"password": "N3w-Passw0rd!"}


def test_set_password_without_parameter_generates_one(ctx):
    out = ctx.run(ctx.on.pebble_ready(container()), leader_state())
    old = secret_password(out)
    out = ctx.run(ctx.on.action("set-password"), out)
    new = ctx.action_results["password"]
    assert new != old and len(new) >= 32
    assert secret_password(out) == new


@pytest.mark.parametrize("bad", ["has space", 'quo"te', "back\\slash", "x" * 513, "caf\u00e9"])
def test_set_password_rejects_unsafe_passwords(ctx, bad):
    out = ctx.run(ctx.on.pebble_ready(container()), leader_state())
    with pytest.raises(testing.ActionFailed) as e:
        ctx.run(ctx.on.action("set-password", params={"password": bad}), out)
    assert e.value.message.startswith("Invalid password")


def test_set_password_on_non_leader_fails(ctx):
    secret = password_secret()
    peers = testing.PeerRelation("redis-peers", local_app_data={PEER_SECRET_ID: secret.id})
    state = testing.State(leader=False, containers={container()}, relations={peers}, secrets={secret})
    with pytest.raises(testing.ActionFailed) as e:
        ctx.run(ctx.on.action("set-password", params={"password": "abc"}), state)
    assert e.value.message == "set-password must run on the leader unit."


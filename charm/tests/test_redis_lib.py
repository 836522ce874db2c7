"""Both sides of the `redis` interface (lib/charms/redis_k8s/v0/redis.py)."""

import ops
import pytest
from ops import testing

from charms.redis_k8s.v0 import redis as redis_lib
from charms.redis_k8s.v0.redis import RedisRelationCharmEvents, RedisRequires

from .conftest import container, password_secret

REQUIRER_META = {"name": "webapp", "requires": {"redis": {"interface": "redis"}, "cache": {"interface": "redis"}}}


class RequirerCharm(ops.CharmBase):
    """A requirer written against the published library's API."""

    on = RedisRelationCharmEvents()

    def __init__(self, framework):
        super().__init__(framework)
        self.redis = RedisRequires(self)
        self.cache = RedisRequires(self, relation_name="cache")
        self.seen = []
        framework.observe(self.on.redis_relation_updated, self._on_updated)

    def _on_updated(self, _event):
        self.seen.append((self.redis.url, self.redis.relation_data, self.redis.app_data))


@pytest.fixture
def rctx():
    return testing.Context(RequirerCharm, meta=REQUIRER_META)


def test_library_constants():
    assert redis_lib.LIBID == "fe18a608cec5465fa5153e419abcad7b"
    assert redis_lib.LIBAPI == 0
    assert isinstance(redis_lib.LIBPATCH, int) and redis_lib.LIBPATCH >= 1
    assert redis_lib.DEFAULT_REALTION_NAME == "redis"  # the published (misspelt) name


# ---------------------------------------------------------------------- requirer side


def test_requirer_changed_emits_update_with_url_including_password(rctx):
    rel = testing.Relation("redis", remote_app_name="redis-k8s",
                           remote_units_data={0: {"hostname": "10.1.2.3", "port": "6379", "password": "pw"}})
    with rctx(rctx.on.relation_changed(rel, remote_unit=0), testing.State(relations={rel})) as mgr:
        mgr.run()
        (url, data, app) = mgr.charm.seen[0]
    assert url == "redis://:pw@10.1.2.3:6379"
    assert data["hostname"] == "10.1.2.3" and data["port"] == "6379"
    assert app == {}


def test_requirer_joined_emits_update(rctx):
    rel = testing.Relation("redis", remote_units_data={0: {"hostname": "h", "port": "6379"}})
    with rctx(rctx.on.relation_joined(rel, remote_unit=0), testing.State(relations={rel})) as mgr:
        mgr.run()
        assert [s[0] for s in mgr.charm.seen] == ["redis://h:6379"]  # no password: no auth part


def test_requirer_prefers_leader_host(rctx):
    rel = testing.Relation("redis", remote_app_data={"leader-host": "10.0.0.9"},
                           remote_units_data={0: {"hostname": "10.0.0.5", "port": "6380", "password": "pw"}})
    with rctx(rctx.on.relation_changed(rel, remote_unit=0), testing.State(relations={rel})) as mgr:
        mgr.run()
        assert mgr.charm.redis.url == "redis://:pw@10.0.0.9:6380"
        assert mgr.charm.redis.app_data == {"leader-host": "10.0.0.9"}


def test_requirer_url_quotes_password_and_ipv6(rctx):
    rel = testing.Relation("redis", remote_units_data={0: {"hostname": "fd00::5", "port": "6379", "password": "a@b:c/d%"}})
    with rctx(rctx.on.relation_changed(rel, remote_unit=0), testing.State(relations={rel})) as mgr:
        mgr.run()
        assert mgr.charm.redis.url == "redis://:a%40b%3Ac%2Fd%25@[fd00::5]:6379"


def test_requirer_url_is_none_until_provider_publishes(rctx):
    rel = testing.Relation("redis", remote_app_data={"leader-host": "h"}, remote_units_data={0: {}})
    with rctx(rctx.on.relation_joined(rel, remote_unit=0), testing.State(relations={rel})) as mgr:
        mgr.run()
        assert [s[0] for s in mgr.charm.seen] == [None]


def test_requirer_broken_emits_update(rctx):
    rel = testing.Relation("redis", remote_units_data={0: {"hostname": "h", "port": "6379"}})
    with rctx(rctx.on.relation_broken(rel), testing.State(relations={rel})) as mgr:
        mgr.run()
        assert len(mgr.charm.seen) == 1


def test_requirer_without_relation(rctx):
    with rctx(rctx.on.update_status(), testing.State()) as mgr:
        mgr.run()
        redis = mgr.charm.redis
        assert redis.url is None and redis.relation_data is None and redis.app_data is None


def test_requirer_custom_relation_name(rctx):
    rel = testing.Relation("cache", remote_units_data={0: {"hostname": "c", "port": "7000", "password": "x"}})
    with rctx(rctx.on.relation_changed(rel, remote_unit=0), testing.State(relations={rel})) as mgr:
        mgr.run()
        assert mgr.charm.cache.url == "redis://:x@c:7000"
        assert mgr.charm.redis.url is None


# ---------------------------------------------------------------------- provider side


def provider_state(rel, leader=True, password="prov-pw"):
    return testing.State(
        leader=leader,
        containers={container()},
        relations={rel, testing.PeerRelation("redis-peers")},
        secrets={password_secret(password)},
    )


@pytest.mark.parametrize("event", ["joined", "changed"])
def test_provider_publishes_hostname_port_password(ctx, event):
    rel = testing.Relation("redis", remote_app_name="webapp", remote_units_data={0: {}})
    on = getattr(ctx.on, f"relation_{event}")
    out = ctx.run(on(rel, remote_unit=0), provider_state(rel))
    data = out.get_relation(rel.id).local_unit_data
    assert data["hostname"] == "192.0.2.0"  # the unit's bind address on the relation
    assert data["port"] == "6379"
    assert data["password"] == "prov-pw"
    assert out.get_relation(rel.id).local_app_data == {"leader-host": "192.0.2.0"}


def test_provider_non_leader_does_not_write_app_data(ctx):
    secret = password_secret("prov-pw")
    rel = testing.Relation("redis", remote_units_data={0: {}})
    peers = testing.PeerRelation("redis-peers", local_app_data={"password-secret-id": secret.id})
    state = testing.State(leader=False, containers={container()}, relations={rel, peers}, secrets={secret})
    out = ctx.run(ctx.on.relation_changed(rel, remote_unit=0), state)
    assert out.get_relation(rel.id).local_unit_data["password"] == "prov-pw"
    assert out.get_relation(rel.id).local_app_data == {}


def test_provider_broken_relation_is_not_written(ctx):
    rel = testing.Relation("redis", remote_units_data={0: {}})
    out = ctx.run(ctx.on.relation_broken(rel), provider_state(rel))
    assert "password" not in out.get_relation(rel.id).local_unit_data
    assert out.get_relation(rel.id).local_app_data == {}


def test_provider_data_round_trips_to_requirer_url(ctx, rctx):
    """What the provider writes is what the requirer turns into a URL."""
    rel = testing.Relation("redis", remote_units_data={0: {}})
    out = ctx.run(ctx.on.relation_changed(rel, remote_unit=0), provider_state(rel))
    published = out.get_relation(rel.id)
    req_rel = testing.Relation("redis", remote_app_data=dict(published.local_app_data),
                               remote_units_data={0: dict(published.local_unit_data)})
    with rctx(rctx.on.relation_changed(req_rel, remote_unit=0), testing.State(relations={req_rel})) as mgr:
        mgr.run()
        assert mgr.charm.redis.url == "redis://:prov-pw@192.0.2.0:6379"

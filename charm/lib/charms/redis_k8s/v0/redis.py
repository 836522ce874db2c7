"""Library for the `redis` relation interface (provider and requirer sides).

This is redpy's implementation of the interface published on Charmhub as
`charms.redis_k8s.v0.redis`; its public API is kept, so requirer charms written for the
published library work unchanged.

What the provider publishes:

- in its unit data: `hostname` (address of the unit), `port` and `password` (the
  password clients must send with AUTH; absent if the server has none);
- in the application data, from the leader only: `leader-host`, the address of the
  unit that accepts writes.

Requirer usage: add to `metadata.yaml`

```yaml
requires:
  redis:
    interface: redis
```

and to `src/charm.py`

```python
from charms.redis_k8s.v0.redis import RedisRelationCharmEvents, RedisRequires

class MyCharm(CharmBase):
    on = RedisRelationCharmEvents()

    def __init__(self, *args):
        super().__init__(*args)
        self.redis = RedisRequires(self)
        self.framework.observe(self.on.redis_relation_updated, self._on_redis_updated)

    def _on_redis_updated(self, _):
        url = self.redis.url      # "redis://:password@host:6379", or None
```

Provider usage (the Redis charm):

```python
self.redis_provides = RedisProvides(self, port=REDIS_PORT, password_getter=self.get_password)
...
self.redis_provides.update_relation_data()   # after a password rotation
```
"""

import logging
import socket
from typing import Callable, Dict, Optional
from urllib.parse import quote

from ops.charm import CharmBase, CharmEvents, RelationEvent
from ops.framework import EventBase, EventSource, Object
from ops.model import Relation

# The unique Charmhub library identifier, never change it.
LIBID = "fe18a608cec5465fa5153e419abcad7b"

# Increment this major API version when introducing breaking changes.
LIBAPI = 0

# Increment this PATCH version before using `charmcraft publish-lib` or reset
# to 0 if you are raising the major API version.
LIBPATCH = 8

logger = logging.getLogger(__name__)

DEFAULT_RELATION_NAME = "redis"
# The name the published library used; kept for charms that import it.
DEFAULT_REALTION_NAME = DEFAULT_RELATION_NAME


class RedisRelationUpdatedEvent(EventBase):
    """The redis relation changed: the requirer should read `url` again."""


class RedisRelationCharmEvents(CharmEvents):
    """Charm events of a requirer charm: set `on = RedisRelationCharmEvents()`."""

    redis_relation_updated = EventSource(RedisRelationUpdatedEvent)


class RedisRequires(Object):
    """The requirer side: emits `redis_relation_updated` and exposes the connection data."""

    def __init__(self, charm: CharmBase, relation_name: str = DEFAULT_RELATION_NAME):
        super().__init__(charm, relation_name)
        self.charm = charm
        self.relation_name = relation_name
        on = charm.on[relation_name]
        self.framework.observe(on.relation_joined, self._on_relation_changed)
        self.framework.observe(on.relation_changed, self._on_relation_changed)
        self.framework.observe(on.relation_broken, self._on_relation_broken)

    def _on_relation_changed(self, event: RelationEvent) -> None:
        # Only a remote unit's change carries connection data (application-level
        # changes have no unit).
        if event.unit is None:
            return
        self.charm.on.redis_relation_updated.emit()

    def _on_relation_broken(self, _event: RelationEvent) -> None:
        self.charm.on.redis_relation_updated.emit()

    def _relation(self) -> Optional[Relation]:
        return self.model.get_relation(self.relation_name)

    @property
    def app_data(self) -> Optional[Dict[str, str]]:
        """The provider application's data (`leader-host`), or None without a relation."""
        relation = self._relation()
        if relation is None or relation.app is None:
            return None
        return dict(relation.data[relation.app])

    @property
    def relation_data(self) -> Optional[Dict[str, str]]:
        """A provider unit's data (`hostname`, `port`, `password`), or None."""
        relation = self._relation()
        if relation is None or not relation.units:
            return None
        unit = sorted(relation.units, key=lambda u: u.name)[0]
        return dict(relation.data[unit])

    @property
    def url(self) -> Optional[str]:
        """`redis://[:password@]host:port`, or None while the provider has published nothing.

        The host is the application's `leader-host` when present (the unit that accepts
        writes), else the unit's `hostname`.
        """
        data = self.relation_data
        if not data or not data.get("port"):
            return None
        host = (self.app_data or {}).get("leader-host") or data.get("hostname")
        if not host:
            return None
        if ":" in host and not host.startswith("["):  # IPv6 literal
            host = f"[{host}]"
        password = data.get("password")
        auth = f":{quote(password, safe='')}@" if password else ""
        return f"redis://{auth}{host}:{data['port']}"


class RedisProvides(Object):
    """The provider side: publishes hostname, port and password to every requirer.

    `password_getter` returns the current password (None while there is none yet);
    without it no password is published.
    """

    def __init__(
        self,
        charm: CharmBase,
        port: int,
        relation_name: str = DEFAULT_RELATION_NAME,
        password_getter: Optional[Callable[[], Optional[str]]] = None,
    ):
        super().__init__(charm, relation_name)
        self._charm = charm
        self._port = port
        self.relation_name = relation_name
        self._password_getter = password_getter
        on = charm.on[relation_name]
        self.framework.observe(on.relation_joined, self._on_relation_changed)
        self.framework.observe(on.relation_changed, self._on_relation_changed)
        self.framework.observe(charm.on.leader_elected, self._on_leader_elected)

    def _on_relation_changed(self, event: RelationEvent) -> None:
        self._publish(event.relation)

    def _on_leader_elected(self, _event: EventBase) -> None:
        self.update_relation_data()

    def update_relation_data(self) -> None:
        """Publish the current data in every relation (e.g. after a password change)."""
        for relation in self.model.relations[self.relation_name]:
            self._publish(relation)

    def _publish(self, relation: Relation) -> None:
        host = self._get_master_ip(relation)
        unit_data = relation.data[self.model.unit]
        unit_data["hostname"] = host
        unit_data["port"] = str(self._port)
        password = self._password_getter() if self._password_getter else None
        if password:
            unit_data["password"] = password
        else:
            unit_data.pop("password", None)
        if self.model.unit.is_leader():
            relation.data[self.model.app]["leader-host"] = host

    def _bind_address(self, relation: Relation) -> Optional[str]:
        """The address of this unit on the relation's network, if Juju knows one."""
        try:
            binding = self.model.get_binding(relation)
            address = binding.network.bind_address if binding else None
        except Exception as e:  # no network info (e.g. during teardown)
            logger.debug("no bind address for %s: %s", relation, e)
            return None
        return str(address) if address else None

    def _get_master_ip(self, relation: Optional[Relation] = None) -> str:
        """The address of the current master: this unit (replication is not supported)."""
        if relation is not None and (address := self._bind_address(relation)):
            return address
        master = getattr(self._charm, "current_master", None)
        if master:
            return master
        return socket.getfqdn()

#!/usr/bin/env python3
"""Kubernetes sidecar charm for redpy, a Redis 7.0-compatible server.

The workload container runs the redpy image (`redis-server` is the image's wrapper for
redpy-server) through a Pebble layer. The charm renders /etc/redis/redis.conf from its
options, with `requirepass` set to a password that the leader generates and keeps in an
application-owned Juju secret; the secret's id is shared with the other units through the
peer relation. Requirer charms receive hostname, port and password through the `redis`
relation (lib/charms/redis_k8s/v0/redis.py).

Only one unit is supported: replication is not implemented, so a larger scale is Blocked.
"""

import logging
import re
import secrets
from typing import List, Mapping, Optional

import ops
from ops import pebble

from charms.redis_k8s.v0.redis import RedisProvides
from literals import (
    CONFIG_PATH,
    CONTAINER,
    DATA_DIR,
    LOGLEVELS,
    MAXMEMORY_POLICIES,
    PEER_PASSWORD_REVISION,
    PEER_RELATION,
    PEER_SECRET_ID,
    REDIS_GID,
    REDIS_PORT,
    REDIS_UID,
    SECRET_KEY,
    SECRET_LABEL,
    SERVICE,
)

logger = logging.getLogger(__name__)

_MAXMEMORY_RE = re.compile(r"^[0-9]+([kmg]b?|b)?$", re.IGNORECASE)
# Printable ASCII without space, quotes and backslash: safe inside a double-quoted
# redis.conf value, a shell word and a URL (after quoting).
_PASSWORD_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - set("\"'\\")
MAX_PASSWORD_LENGTH = 512


def generate_password() -> str:
    """A new random password (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def validate_password(password: str) -> Optional[str]:
    """None if the password is acceptable, else the reason it is not."""
    if not password:
        return "the password must not be empty"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must be at most {MAX_PASSWORD_LENGTH} characters long"
    if not set(password) <= _PASSWORD_CHARS:
        return "the password may only contain printable ASCII characters without spaces, quotes or backslashes"
    return None


def validate_config(options: Mapping) -> List[str]:
    """The problems of the charm's configuration, as messages for the Blocked status."""
    errors = []
    maxmemory = str(options.get("maxmemory", "0")).strip()
    if not _MAXMEMORY_RE.match(maxmemory):
        errors.append(f"maxmemory {maxmemory!r} is not a size such as 100mb")
    policy = options.get("maxmemory-policy", "noeviction")
    if policy not in MAXMEMORY_POLICIES:
        errors.append(f"maxmemory-policy {policy!r} is not one of {', '.join(MAXMEMORY_POLICIES)}")
    save = str(options.get("save", "")).split()
    if len(save) % 2 or not all(t.isdigit() for t in save):
        errors.append(f"save {options.get('save')!r} is not a list of '<seconds> <changes>' pairs")
    loglevel = options.get("loglevel", "notice")
    if loglevel not in LOGLEVELS:
        errors.append(f"loglevel {loglevel!r} is not one of {', '.join(LOGLEVELS)}")
    return errors


def render_config(options: Mapping, password: str, port: int = REDIS_PORT, data_dir: str = DATA_DIR) -> str:
    """The redis.conf for the given charm options (which must be valid) and password."""
    save = " ".join(str(options.get("save", "")).split())
    lines = [
        "# Rendered by the redis-k8s charm: manual changes are overwritten.",
        "bind 0.0.0.0 -::*",
        f"port {port}",
        "protected-mode yes",
        "daemonize no",
        'logfile ""',
        f"loglevel {options.get('loglevel', 'notice')}",
        f"dir {data_dir}",
        f'requirepass "{password}"',
        f"maxmemory {str(options.get('maxmemory', '0')).strip().lower()}",
        f"maxmemory-policy {options.get('maxmemory-policy', 'noeviction')}",
        f"appendonly {'yes' if options.get('appendonly', False) else 'no'}",
        f"save {save}" if save else 'save ""',
    ]
    return "\n".join(lines) + "\n"


class RedisK8sCharm(ops.CharmBase):
    """Runs redpy in the `redis` container and provides the `redis` interface."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._password: Optional[str] = None  # cache for the duration of one hook
        self.redis_provides = RedisProvides(self, port=REDIS_PORT, password_getter=self.get_password)

        observe = self.framework.observe
        observe(self.on.redis_pebble_ready, self._reconcile)
        observe(self.on.config_changed, self._reconcile)
        observe(self.on.leader_elected, self._reconcile)
        observe(self.on.upgrade_charm, self._reconcile)
        observe(self.on[PEER_RELATION].relation_created, self._reconcile)
        observe(self.on[PEER_RELATION].relation_changed, self._reconcile)
        observe(self.on[PEER_RELATION].relation_departed, self._reconcile)
        observe(self.on.collect_unit_status, self._on_collect_status)
        observe(self.on.get_password_action, self._on_get_password)
        observe(self.on.set_password_action, self._on_set_password)

    # ------------------------------------------------------------------ password

    @property
    def _peers(self) -> Optional[ops.Relation]:
        return self.model.get_relation(PEER_RELATION)

    def _secret(self) -> Optional[ops.Secret]:
        """The password secret: by label on the leader, by the shared id elsewhere."""
        if self.unit.is_leader():
            try:
                return self.model.get_secret(label=SECRET_LABEL)
            except ops.SecretNotFoundError:
                pass
        peers = self._peers
        secret_id = peers.data[self.app].get(PEER_SECRET_ID) if peers else None
        if not secret_id:
            return None
        try:
            return self.model.get_secret(id=secret_id)
        except ops.SecretNotFoundError:
            return None

    def get_password(self) -> Optional[str]:
        """The current password, or None while the leader has not generated it."""
        if self._password is None:
            secret = self._secret()
            if secret is not None:
                self._password = secret.get_content(refresh=True).get(SECRET_KEY)
        return self._password

    def _ensure_password(self) -> None:
        """Leader: create the secret on first run; share its id with the peers."""
        secret = self._secret()
        if secret is None:
            secret = self.app.add_secret(
                {SECRET_KEY: generate_password()},
                label=SECRET_LABEL,
                description="Password of the redis-k8s server (requirepass)",
            )
            logger.info("generated the Redis password")
        peers = self._peers
        if peers is not None:
            secret_id = secret.id or secret.get_info().id
            if peers.data[self.app].get(PEER_SECRET_ID) != secret_id:
                peers.data[self.app][PEER_SECRET_ID] = secret_id

    def _rotate_password(self, password: str) -> None:
        """Leader: store a new password, re-render, restart and update the relations."""
        self._ensure_password()
        secret = self._secret()
        secret.set_content({SECRET_KEY: password})
        self._password = password
        peers = self._peers
        if peers is not None:
            # Peers re-render on relation-changed: the units of the owning application
            # never receive secret-changed for their own secret.
            revision = int(peers.data[self.app].get(PEER_PASSWORD_REVISION, "0")) + 1
            peers.data[self.app][PEER_PASSWORD_REVISION] = str(revision)
        self._configure_workload()
        self.redis_provides.update_relation_data()

    # ------------------------------------------------------------------ workload

    @property
    def current_master(self) -> str:
        """Stable DNS name of the unit serving writes (this unit: no replication)."""
        return f"{self.unit.name.replace('/', '-')}.{self.app.name}-endpoints.{self.model.name}.svc.cluster.local"

    def _scaled_beyond_one(self) -> bool:
        return self.app.planned_units() > 1

    def _pebble_layer(self, password: str) -> pebble.LayerDict:
        return {
            "summary": "redis layer",
            "description": "redpy (Redis 7.0-compatible server), managed by the redis-k8s charm",
            "services": {
                SERVICE: {
                    "override": "replace",
                    "summary": "redis-server",
                    "command": f"redis-server {CONFIG_PATH}",
                    "startup": "enabled",
                    "user-id": REDIS_UID,
                    "group-id": REDIS_GID,
                    "on-check-failure": {"redis-alive": "restart"},
                }
            },
            "checks": {
                "redis-alive": {
                    "override": "replace",
                    "level": "alive",
                    "period": "10s",
                    "timeout": "3s",
                    "threshold": 3,
                    "tcp": {"port": REDIS_PORT},
                },
                # redis-cli exits 0 even on an error reply (NOAUTH): match the PONG.
                "redis-ready": {
                    "override": "replace",
                    "level": "ready",
                    "period": "10s",
                    "timeout": "3s",
                    "threshold": 3,
                    "exec": {
                        "command": f"/bin/sh -c 'redis-cli -p {REDIS_PORT} ping | grep -qx PONG'",
                        "environment": {"REDISCLI_AUTH": password},
                        "user-id": REDIS_UID,
                        "group-id": REDIS_GID,
                    },
                },
            },
        }

    def _configure_workload(self) -> None:
        """Push the rendered config and the layer; restart when the config changed."""
        container = self.unit.get_container(CONTAINER)
        if not container.can_connect():
            return
        if self._scaled_beyond_one() and not self.unit.is_leader():
            # Without replication an extra unit would be a separate, empty database
            # behind the same service: keep it stopped.
            if SERVICE in container.get_plan().services and container.get_service(SERVICE).is_running():
                container.stop(SERVICE)
            return
        password = self.get_password()
        if not password or validate_config(self.config):
            return

        conf = render_config(self.config, password)
        conf_changed = not container.exists(CONFIG_PATH) or container.pull(CONFIG_PATH).read() != conf
        if conf_changed:
            container.push(
                CONFIG_PATH, conf, make_dirs=True, permissions=0o640, user_id=REDIS_UID, group_id=REDIS_GID
            )
        if not container.exists(DATA_DIR):
            container.make_dir(DATA_DIR, make_parents=True, permissions=0o750, user_id=REDIS_UID, group_id=REDIS_GID)

        def service_spec():
            service = container.get_plan().services.get(SERVICE)
            return service.to_dict() if service else None

        spec_before = service_spec()
        container.add_layer(SERVICE, self._pebble_layer(password), combine=True)
        # replan restarts the service only if its own definition changed (not for a
        # change of the checks, e.g. the password in REDISCLI_AUTH).
        service_changed = service_spec() != spec_before
        was_running = spec_before is not None and container.get_service(SERVICE).is_running()
        container.replan()
        if conf_changed and was_running and not service_changed:
            container.restart(SERVICE)
        logger.info("redis configured (config changed: %s, service changed: %s)", conf_changed, service_changed)

    # ------------------------------------------------------------------ events

    def _reconcile(self, _event: ops.EventBase) -> None:
        if self.unit.is_leader():
            self._ensure_password()
        self._configure_workload()
        if self.get_password():
            self.redis_provides.update_relation_data()

    def _on_get_password(self, event: ops.ActionEvent) -> None:
        password = self.get_password()
        if not password:
            event.fail("The password has not been generated yet: wait for the leader unit.")
            return
        event.set_results({"password": password})

    def _on_set_password(self, event: ops.ActionEvent) -> None:
        if not self.unit.is_leader():
            event.fail("set-password must run on the leader unit.")
            return
        password = event.params.get("password") or generate_password()
        if problem := validate_password(password):
            event.fail(f"Invalid password: {problem}.")
            return
        self.unit.status = ops.MaintenanceStatus("rotating the password")
        self._rotate_password(password)
        event.set_results({"password": password})

    def _on_collect_status(self, event: ops.CollectStatusEvent) -> None:
        event.add_status(self._status())

    def _status(self) -> ops.StatusBase:
        if self._scaled_beyond_one():
            return ops.BlockedStatus(
                "replication is not supported yet: scale to 1 unit (juju scale-application redis-k8s 1)"
            )
        if errors := validate_config(self.config):
            return ops.BlockedStatus("invalid config: " + "; ".join(errors))
        container = self.unit.get_container(CONTAINER)
        if not container.can_connect():
            return ops.WaitingStatus("waiting for Pebble in the redis container")
        if not self.get_password():
            return ops.WaitingStatus("waiting for the leader to generate the password")
        if SERVICE not in container.get_plan().services:
            return ops.MaintenanceStatus("configuring redis")
        if not container.get_service(SERVICE).is_running():
            return ops.MaintenanceStatus("starting redis")
        failing = [c.name for c in container.get_checks(level=pebble.CheckLevel.READY).values()
                   if c.status != pebble.CheckStatus.UP]
        if failing:
            return ops.WaitingStatus(f"redis is not answering PING yet ({', '.join(sorted(failing))})")
        return ops.ActiveStatus()


if __name__ == "__main__":  # pragma: nocover
    ops.main(RedisK8sCharm)

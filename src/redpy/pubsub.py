"""Pub/sub state and delivery: channels, patterns and shard channels (Redis's pubsub.c).

Invariants:
- `channels[name]`, `patterns[pattern]`, `shard_channels[name]` map to dicts of the
  subscribed clients in subscription order (a dict keeps order and removes in O(1)); an
  entry with no clients is deleted.
- Each client keeps its own side in `c.subscriptions`, `c.psubscriptions`,
  `c.ssubscriptions` (dicts used as ordered sets); both sides change together here, and
  `c.update_gate()` follows, because dispatch applies the RESP2 subscribed-context rules
  only to gated clients.
- Messages are queued with `c.push` (RESP3 push, RESP2 array). A receiver other than the
  client being served is flushed once at the end of the current read
  (`Server.flush_pending`), so a pipeline of PUBLISH costs one write per subscriber.
"""

from __future__ import annotations

from .replies import Push

KIND_NAMES = {
    "channel": (b"subscribe", b"unsubscribe"),
    "pattern": (b"psubscribe", b"punsubscribe"),
    "shard": (b"ssubscribe", b"sunsubscribe"),
}


class PubSub:
    def __init__(self, server):
        self.server = server
        self.channels: dict[bytes, dict] = {}
        self.patterns: dict[bytes, dict] = {}
        self.shard_channels: dict[bytes, dict] = {}

    def _tables(self, c, kind: str):
        if kind == "channel":
            return self.channels, c.subscriptions
        if kind == "pattern":
            return self.patterns, c.psubscriptions
        return self.shard_channels, c.ssubscriptions

    @staticmethod
    def count(c, kind: str) -> int:
        """The count in (un)subscribe replies: shard channels are counted on their own."""
        if kind == "shard":
            return len(c.ssubscriptions)
        return len(c.subscriptions) + len(c.psubscriptions)

    def subscribe(self, c, kind: str, names: list[bytes]) -> list[Push]:
        """Subscribe; return the confirmation replies, one per name."""
        table, mine = self._tables(c, kind)
        verb = KIND_NAMES[kind][0]
        replies = []
        for name in names:
            if name not in mine:
                mine[name] = None
                table.setdefault(name, {})[c] = None
            replies.append(Push([verb, name, self.count(c, kind)]))
        c.update_gate()
        return replies

    def unsubscribe(self, c, kind: str, names: list[bytes]) -> list[Push]:
        """Unsubscribe from names, or from everything of that kind when names is empty."""
        table, mine = self._tables(c, kind)
        verb = KIND_NAMES[kind][1]
        replies = []
        if not names:
            names = list(mine)
            if not names:
                replies.append(Push([verb, None, self.count(c, kind)]))
        for name in names:
            if name in mine:
                del mine[name]
                clients = table.get(name)
                if clients is not None:
                    clients.pop(c, None)
                    if not clients:
                        del table[name]
            replies.append(Push([verb, name, self.count(c, kind)]))
        c.update_gate()
        return replies

    def unsubscribe_all(self, c) -> None:
        """A client disconnects or RESETs: drop every subscription without replies."""
        for kind in ("channel", "pattern", "shard"):
            self.unsubscribe(c, kind, [])

    def publish(self, channel: bytes, message: bytes, shard: bool = False) -> int:
        """Deliver to channel subscribers, then to matching patterns; return receivers."""
        server = self.server
        receivers = 0
        if shard:
            clients = self.shard_channels.get(channel)
            if clients:
                msg = Push([b"smessage", channel, message])
                for target in clients:
                    self._deliver(server, target, msg)
                    receivers += 1
            return receivers
        clients = self.channels.get(channel)
        if clients:
            msg = Push([b"message", channel, message])
            for target in clients:
                self._deliver(server, target, msg)
                receivers += 1
        if self.patterns:
            from .glob import match

            for pattern, clients in list(self.patterns.items()):
                if match(pattern, channel):
                    msg = Push([b"pmessage", pattern, channel, message])
                    for target in clients:
                        self._deliver(server, target, msg)
                        receivers += 1
        return receivers

    @staticmethod
    def _deliver(server, target, msg) -> None:
        target.push(msg)
        server.pending_flush.add(target)

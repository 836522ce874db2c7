"""Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.

The machinery is in redpy/pubsub.py. A (un)subscribe command answers one push per
channel.
"""

from __future__ import annotations

from ..errors import CommandError
from ..registry import command_group
from ..replies import NO_REPLY

command = command_group("pubsub")


def _answer(c, replies):
    """Confirmations are pushes in Redis: they ignore CLIENT REPLY, and inside EXEC they
    land where the command runs (so EXEC's array holds more replies than its count says,
    exactly like Redis's)."""
    for r in replies:
        c.push(r)
    return NO_REPLY


@command("subscribe")
def cmd_subscribe(c, argv):
    """SUBSCRIBE channel [channel ...]"""
    return _answer(c, c.server.pubsub.subscribe(c, "channel", argv[1:]))


@command("psubscribe")
def cmd_psubscribe(c, argv):
    """PSUBSCRIBE pattern [pattern ...]"""
    return _answer(c, c.server.pubsub.subscribe(c, "pattern", argv[1:]))


@command("ssubscribe")
def cmd_ssubscribe(c, argv):
    """SSUBSCRIBE shardchannel [shardchannel ...]"""
    return _answer(c, c.server.pubsub.subscribe(c, "shard", argv[1:]))


@command("unsubscribe")
def cmd_unsubscribe(c, argv):
    """UNSUBSCRIBE [channel [channel ...]]"""
    return _answer(c, c.server.pubsub.unsubscribe(c, "channel", argv[1:]))


@command("punsubscribe")
def cmd_punsubscribe(c, argv):
    """PUNSUBSCRIBE [pattern [pattern ...]]"""
    return _answer(c, c.server.pubsub.unsubscribe(c, "pattern", argv[1:]))


@command("sunsubscribe")
def cmd_sunsubscribe(c, argv):
    """SUNSUBSCRIBE [shardchannel [shardchannel ...]]"""
    return _answer(c, c.server.pubsub.unsubscribe(c, "shard", argv[1:]))


@command("publish")
def cmd_publish(c, argv):
    """PUBLISH channel message"""
    return c.server.pubsub.publish(argv[1], argv[2])


@command("spublish")
def cmd_spublish(c, argv):
    """SPUBLISH shardchannel message"""
    return c.server.pubsub.publish(argv[1], argv[2], shard=True)


def _matching(names, argv):
    if len(argv) > 3:
        raise CommandError(
            "ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP."
            % argv[1].decode("latin-1")
        )
    if len(argv) == 3:
        from ..glob import match

        return [n for n in names if match(argv[2], n)]
    return list(names)


@command("pubsub|channels")
def cmd_pubsub_channels(c, argv):
    """PUBSUB CHANNELS [pattern]"""
    return _matching(c.server.pubsub.channels, argv)


@command("pubsub|shardchannels")
def cmd_pubsub_shardchannels(c, argv):
    """PUBSUB SHARDCHANNELS [pattern]"""
    return _matching(c.server.pubsub.shard_channels, argv)


@command("pubsub|numsub")
def cmd_pubsub_numsub(c, argv):
    """PUBSUB NUMSUB [channel ...]"""
    return _pairs(c.server.pubsub.channels, argv[2:])


@command("pubsub|shardnumsub")
def cmd_pubsub_shardnumsub(c, argv):
    """PUBSUB SHARDNUMSUB [shardchannel ...]"""
    return _pairs(c.server.pubsub.shard_channels, argv[2:])


def _pairs(table, names):
    """[name, subscribers, ...]: a flat array even in RESP3, as Redis 7.0 answers."""
    out = []
    for name in names:
        out += [name, len(table.get(name, ()))]
    return out


@command("pubsub|numpat")
def cmd_pubsub_numpat(c, argv):
    """PUBSUB NUMPAT: the number of distinct patterns subscribed to."""
    return len(c.server.pubsub.patterns)


_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


@command("pubsub|help")
def cmd_pubsub_help(c, argv):
    """PUBSUB HELP"""
    from ..replies import Simple

    return [Simple(line.encode()) for line in _HELP]

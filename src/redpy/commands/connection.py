"""Connection commands: AUTH, HELLO, RESET, PING, ECHO, SELECT, QUIT and CLIENT.

CLIENT TRACKING / TRACKINGINFO / CACHING live with client-side caching and CLIENT UNBLOCK
with the blocking commands; everything else of CLIENT is here.

CLIENT PAUSE bookkeeping (Redis's pauseClients / unpauseClients) is kept on the Server,
created lazily by `_pause_state`: `server.pause_until` (unix seconds, 0 when not paused),
`server.pause_writes_only`, `server.pause_held` (the clients whose command waits, in the
order they were held) and `server.pause_timer`. dispatch calls `pause_blocks(c, cmd,
argv)` after its rejection checks and before MULTI queueing, exactly where Redis's
processCommand postpones a client (so a rejected command is answered at once even while
paused, and a write queued inside MULTI waits under PAUSE WRITE).
"""

from __future__ import annotations

import asyncio
import time

from ..acl import F_NOPASS
from ..connection import REPLY_OFF, REPLY_ON, REPLY_SKIP_NEXT
from ..errors import NOT_INTEGER, SYNTAX, WRONGPASS, CommandError, c_string, subcommand_syntax
from ..numbers import LLONG_MAX, string2ll
from ..registry import command_group
from ..replies import NO_REPLY, OK, PONG, Simple, Verbatim
from .transactions import discard_transaction

command = command_group("connection")


@command("ping")
def cmd_ping(c, argv):
    """PING [message]

    In the RESP2 subscribed context PING answers like a pub/sub message: ["pong", msg].
    """
    if len(argv) > 2:
        raise CommandError("ERR wrong number of arguments for 'ping' command")
    subscribed = c.subscriptions or c.psubscriptions or c.ssubscriptions
    if subscribed and c.proto == 2:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@command("echo")
def cmd_echo(c, argv):
    """ECHO message"""
    return argv[1]


@command("select")
def cmd_select(c, argv):
    """SELECT index"""
    index = string2ll(argv[1])
    if index is None:
        raise CommandError(NOT_INTEGER)
    if not -(2**31) <= index < 2**31:
        raise CommandError("ERR value is out of range, value must between -2147483648 and 2147483647")
    c.select(index)
    return OK


@command("quit")
def cmd_quit(c, argv):
    """QUIT

    Answers OK and closes once the reply is written.
    """
    c.close_after_reply = True
    return OK


# ---------------------------------------------------------------------- authentication


def _authenticate(c, username: bytes, password: bytes, argv0: bytes) -> bool:
    """ACLAuthenticateUser: the user exists, is on, and is nopass or has this password.

    A failure is recorded in the ACL LOG (reason auth, object = the command as typed).
    """
    if not c.server.acl_authenticate(c, username, password, argv0):
        return False
    c.authenticated = True
    c.user = username.decode("utf-8", "surrogateescape")
    c.parser.auth_required = False
    return True


@command("auth")
def cmd_auth(c, argv):
    """AUTH [username] password

    A failed AUTH does not de-authenticate a client that was authenticated. The one-argument
    form is refused while the default user is nopass.
    """
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    if len(argv) == 2:
        if c.server.acl.default.flags & F_NOPASS:
            raise CommandError(
                "ERR AUTH <password> called without any password configured for the default user. "
                "Are you sure your configuration is correct?"
            )
        username, password = b"default", argv[1]
    else:
        username, password = argv[1], argv[2]
    if not _authenticate(c, username, password, argv[0]):
        raise CommandError(WRONGPASS)
    return OK


def _set_name_or_raise(c, name: bytes) -> None:
    """clientSetNameOrReply: an empty name clears it; only '!'..'~' are allowed."""
    if name and (min(name) < 0x21 or max(name) > 0x7E):
        raise CommandError("ERR Client names cannot contain spaces, newlines or special characters.")
    c.name = bytes(name)


@command("hello")
def cmd_hello(c, argv):
    """HELLO [protover [AUTH username password] [SETNAME clientname]]

    Order as in Redis 7.0: protocol check, options, AUTH, SETNAME, then the NOAUTH check
    (so an unauthenticated HELLO 3 SETNAME x sets the name and still answers NOAUTH).
    """
    argc = len(argv)
    ver = 0
    if argc >= 2:
        ver = string2ll(argv[1])
        if ver is None:
            raise CommandError("ERR Protocol version is not an integer or out of range")
        if ver < 2 or ver > 3:
            raise CommandError("NOPROTO unsupported protocol version")
    username = password = clientname = None
    j = 2
    while j < argc:
        more = argc - 1 - j
        opt = argv[j].lower()
        if opt == b"auth" and more >= 2:
            username, password = argv[j + 1], argv[j + 2]
            j += 3
        elif opt == b"setname" and more >= 1:
            clientname = argv[j + 1]
            j += 2
        else:
            raise CommandError(b"ERR Syntax error in HELLO option '%b'" % c_string(argv[j]))
    if username is not None and not _authenticate(c, username, password, argv[0]):
        raise CommandError(WRONGPASS)
    if clientname is not None:
        _set_name_or_raise(c, clientname)
    if not c.authenticated:
        raise CommandError(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
            "the RESP protocol version at the same time"
        )
    if ver:
        c.proto = ver
    server = c.server
    role = b"replica" if getattr(server.config, "replicaof", "") else b"master"
    return {
        b"server": b"redis",
        b"version": b"7.0.15",
        b"proto": c.proto,
        b"id": c.id,
        b"mode": b"standalone",
        b"role": role,
        b"modules": [],
    }


# ---------------------------------------------------------------------- RESET


def _unsubscribe_all(c) -> None:
    """Drop every channel, shard channel and pattern without notifying the client."""
    pubsub = getattr(c.server, "pubsub", None)
    if pubsub is not None:
        pubsub.unsubscribe_all(c)
    else:
        c.subscriptions.clear()
        c.psubscriptions.clear()
        c.ssubscriptions.clear()
    c.update_gate()


@command("reset")
def cmd_reset(c, argv):
    """RESET

    clearClientConnectionState: leave MONITOR, tracking off, db 0, RESP2, the default user
    (de-authenticated when it needs a password), discard MULTI and WATCH, unsubscribe
    everything, clear the name and CLIENT REPLY on. NO-EVICT stays as it was (7.0 does not
    clear it).
    """
    if c.kind != "normal":
        raise CommandError("ERR can only reset normal client connections")
    server = c.server
    if c.monitor:
        c.monitor = False
        if c in server.monitors:
            server.monitors.remove(c)
    if c.tracking is not None:
        disable = getattr(server, "tracking_disable", None)
        if disable is not None:
            disable(c)
        c.tracking = None
    c.select(0)
    c.proto = 2
    c.user = "default"
    c.authenticated = not server.default_user_needs_auth()
    c.parser.auth_required = not c.authenticated
    discard_transaction(c)
    _unsubscribe_all(c)
    c.name = b""
    c.reply_mode = REPLY_ON
    return Simple(b"RESET")


# ---------------------------------------------------------------------- CLIENT

_HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
]
_HELP_REPLY = [Simple(line.encode()) for line in _HELP]


@command("client|help")
def cmd_client_help(c, argv):
    """CLIENT HELP"""
    return list(_HELP_REPLY)


@command("client|id")
def cmd_client_id(c, argv):
    """CLIENT ID"""
    return c.id


@command("client|getname")
def cmd_client_getname(c, argv):
    """CLIENT GETNAME"""
    return c.name or None


@command("client|setname")
def cmd_client_setname(c, argv):
    """CLIENT SETNAME connection-name

    An empty name removes the name (GETNAME answers null again).
    """
    _set_name_or_raise(c, argv[2])
    return OK


@command("client|getredir")
def cmd_client_getredir(c, argv):
    """CLIENT GETREDIR

    -1 when tracking is off (or on without REDIRECT: then 0).
    """
    tracking = c.tracking
    if tracking is None:
        return -1
    return getattr(tracking, "redirect", 0)


@command("client|no-evict")
def cmd_client_no_evict(c, argv):
    """CLIENT NO-EVICT ON|OFF"""
    mode = argv[2].lower()
    if mode == b"on":
        c.no_evict = True
    elif mode == b"off":
        c.no_evict = False
    else:
        raise CommandError(SYNTAX)
    return OK


@command("client|reply")
def cmd_client_reply(c, argv):
    """CLIENT REPLY ON|OFF|SKIP

    OFF and SKIP answer nothing; SKIP is ignored while replies are OFF. SKIP suppresses
    the replies of the next request (see client.REPLY_SKIP_NEXT).
    """
    mode = argv[2].lower()
    if mode == b"on":
        c.reply_mode = REPLY_ON
        return OK
    if mode == b"off":
        c.reply_mode = REPLY_OFF
        return NO_REPLY
    if mode == b"skip":
        if c.reply_mode != REPLY_OFF:
            c.reply_mode = REPLY_SKIP_NEXT
        return NO_REPLY
    raise CommandError(SYNTAX)


# ------------------------------------------------------------ CLIENT LIST / INFO

# The fake memory figures of CLIENT LIST are those of Redis 7.0.15 on x86-64 for a client
# that sent small commands: a 20474-byte query buffer, a 16 KiB reply buffer and a fixed
# client overhead. They are only meant to look like Redis's; tests relax them.
_QBUF_ALLOC = 20474
_RBS = 16384
_TOT_MEM_BASE = 37680


def _client_type(c) -> str:
    """getClientType: master, replica (not a MONITOR), pubsub or normal."""
    if c.kind in ("master", "replica"):
        return c.kind
    if c.subscriptions or c.psubscriptions or c.ssubscriptions:
        return "pubsub"
    return "normal"


def _type_by_name(name: bytes) -> str | None:
    """getClientTypeByName: case-insensitive, 'slave' is an alias of replica."""
    return {
        b"normal": "normal",
        b"slave": "replica",
        b"replica": "replica",
        b"pubsub": "pubsub",
        b"master": "master",
    }.get(name.lower())


def _flags(c) -> str:
    """The flags= letters in Redis 7.0's order (catClientInfoString)."""
    f = ""
    if c.kind == "replica":
        f += "S"
    elif c.monitor:
        f += "O"
    if c.kind == "master":
        f += "M"
    if c.subscriptions or c.psubscriptions or c.ssubscriptions:
        f += "P"
    if c.multi is not None:
        f += "x"
    if c.blocked is not None or c.paused:
        f += "b"
    if c.tracking is not None:
        f += "t"
        if getattr(c.tracking, "broken_redirect", False):
            f += "R"
        if getattr(c.tracking, "bcast", False):
            f += "B"
    if c.dirty_cas:
        f += "d"
    if c.close_after_reply:
        f += "c"
    if c.unix:
        f += "U"
    if c.no_evict:
        f += "e"
    f += c.flags_extra
    return f or "N"


def _request_len(argv: list[bytes]) -> int:
    n = len(b"*%d\r\n" % len(argv))
    for a in argv:
        n += len(b"$%d\r\n" % len(a)) + len(a) + 2
    return n


def _client_info(c, me, argv, now: float) -> bytes:
    """catClientInfoString for client `c`, seen from `me` running `argv`."""
    if c is me:
        qbuf = _request_len(argv)
        argv_mem = sum(len(a) for a in argv)
        qbuf_free = _QBUF_ALLOC - qbuf
    else:
        qbuf = argv_mem = 0
        qbuf_free = _QBUF_ALLOC if c.tot_net_in else 0
    if c.multi is not None:
        multi = len(c.multi)
        multi_mem = sum(sum(len(a) for a in q_argv) + 8 * len(q_argv) for _, q_argv in c.multi)
    else:
        multi = -1
        multi_mem = 0
    tot_mem = _TOT_MEM_BASE + multi_mem + (argv_mem - 32 if c is me else 0)
    last = c.last_cmd
    cmdname = last.fullname.encode() if hasattr(last, "fullname") else b"NULL"
    tracking = c.tracking
    redir = -1 if tracking is None else getattr(tracking, "redirect", 0)
    return b"".join(
        (
            b"id=%d addr=%s laddr=%s fd=%d name=%s" % (c.id, c.addr.encode(), c.laddr.encode(), c.fd, c.name),
            b" age=%d idle=%d flags=%s db=%d" % (int(now - c.ctime), int(now - c.last_interaction), _flags(c).encode(), c.db.id),
            b" sub=%d psub=%d ssub=%d multi=%d" % (len(c.subscriptions), len(c.psubscriptions), len(c.ssubscriptions), multi),
            b" qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=%d" % (qbuf, qbuf_free, argv_mem, multi_mem),
            b" rbs=%d rbp=%d obl=0 oll=0 omem=0 tot-mem=%d events=r" % (_RBS, _RBS, tot_mem),
            b" cmd=%s user=%s redir=%d resp=%d" % (cmdname, c.user.encode("utf-8", "surrogateescape"), redir, c.proto),
        )
    )


@command("client|info")
def cmd_client_info(c, argv):
    """CLIENT INFO

    A bulk string in RESP2, a verbatim `txt` string in RESP3, ending with a newline.
    """
    return Verbatim(_client_info(c, c, argv, time.time()) + b"\n")


@command("client|list")
def cmd_client_list(c, argv):
    """CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]

    TYPE and ID cannot be combined (syntax error). IDs are listed in the order given,
    repeated as often as given, unknown ones skipped; a non-integer ID answers
    "Invalid client ID" and nothing else.
    """
    argc = len(argv)
    now = time.time()
    clients = c.server.clients
    wanted_type = None
    if argc == 4 and argv[2].lower() == b"type":
        wanted_type = _type_by_name(argv[3])
        if wanted_type is None:
            raise CommandError(b"ERR Unknown client type '%b'" % c_string(argv[3]))
    elif argc > 3 and argv[2].lower() == b"id":
        lines = []
        for arg in argv[3:]:
            cid = string2ll(arg)
            if cid is None:
                raise CommandError("ERR Invalid client ID")
            target = clients.get(cid)
            if target is not None:
                lines.append(_client_info(target, c, argv, now) + b"\n")
        return Verbatim(b"".join(lines))
    elif argc != 2:
        raise CommandError(SYNTAX)
    lines = [
        _client_info(target, c, argv, now) + b"\n"
        for target in list(clients.values())
        if wanted_type is None or _client_type(target) == wanted_type
    ]
    return Verbatim(b"".join(lines))


# ------------------------------------------------------------------- CLIENT KILL


def _user_exists(server, name: bytes) -> bool:
    hook = getattr(server, "acl_user_exists", None)
    if hook is not None:
        return hook(name)
    return name == b"default"


def _kill(c, target) -> None:
    """freeClient for another client: it disappears from the client table at once."""
    target.close_after_reply = True
    target.out.clear()
    target.close()
    held = getattr(target.server, "pause_held", None)
    if held and target in held:
        held.remove(target)
    target.server.client_disconnected(target)


@command("client|kill")
def cmd_client_kill(c, argv):
    """CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no]

    The old form (one argument) answers OK or "No such client" and may kill the caller;
    the filter form answers the number killed and skips the caller unless SKIPME no.
    Killing the caller closes its connection after the reply.
    """
    argc = len(argv)
    addr = laddr = user = None
    cid = 0
    ctype = None
    if argc == 3:
        addr = argv[2]
        skipme = False
    elif argc > 3:
        skipme = True
        i = 2
        while i < argc:
            opt = argv[i].lower()
            more = i + 1 < argc
            if opt == b"id" and more:
                cid = string2ll(argv[i + 1])
                if cid is None or cid < 1:
                    raise CommandError("ERR client-id should be greater than 0")
            elif opt == b"type" and more:
                ctype = _type_by_name(argv[i + 1])
                if ctype is None:
                    raise CommandError(b"ERR Unknown client type '%b'" % c_string(argv[i + 1]))
            elif opt == b"addr" and more:
                addr = argv[i + 1]
            elif opt == b"laddr" and more:
                laddr = argv[i + 1]
            elif opt == b"user" and more:
                user = argv[i + 1]
                if not _user_exists(c.server, user):
                    raise CommandError(b"ERR No such user '%b'" % c_string(user))
            elif opt == b"skipme" and more:
                value = argv[i + 1].lower()
                if value == b"yes":
                    skipme = True
                elif value == b"no":
                    skipme = False
                else:
                    raise CommandError(SYNTAX)
            else:
                raise CommandError(SYNTAX)
            i += 2
    else:  # pragma: no cover - arity (-3) makes this unreachable
        raise CommandError(SYNTAX)
    # Redis compares C strings: an argument is cut at its first NUL byte.
    addr = c_string(addr) if addr is not None else None
    laddr = c_string(laddr) if laddr is not None else None
    user_name = user.decode("utf-8", "surrogateescape") if user is not None else None
    killed = 0
    close_me = False
    for target in list(c.server.clients.values()):
        if addr is not None and target.addr.encode() != addr:
            continue
        if laddr is not None and target.laddr.encode() != laddr:
            continue
        if ctype is not None and _client_type(target) != ctype:
            continue
        if cid and target.id != cid:
            continue
        if user_name is not None and target.user != user_name:
            continue
        if target is c:
            if skipme:
                continue
            close_me = True
        else:
            _kill(c, target)
        killed += 1
    if close_me:
        c.close_after_reply = True
    if argc == 3:
        if not killed:
            raise CommandError("ERR No such client")
        return OK
    return killed


# ------------------------------------------------------------ CLIENT PAUSE / UNPAUSE


def _pause_state(server) -> list:
    """The held clients, creating the pause bookkeeping on first use."""
    held = getattr(server, "pause_held", None)
    if held is None:
        server.pause_held = held = []
        server.pause_timer = None
    return held


def _loop(server):
    return server.loop if server.loop is not None else asyncio.get_event_loop()


def _may_replicate(c, cmd) -> bool:
    """is_may_replicate_command: a write or may-replicate command, or EXEC of one."""
    if cmd.write or cmd.may_replicate:
        return True
    if cmd.name == "exec" and c.multi:
        return any(q.write or q.may_replicate for q, _ in c.multi)
    return False


def pause_blocks(c, cmd, argv) -> bool:
    """Hold this command if the server is paused for it (Redis's BLOCKED_POSTPONE).

    Called by dispatch after the rejection checks, before MULTI queueing, only while
    `server.pause_until` is set. A held command is put back at the front of the client's
    backlog and the client stops processing until the pause ends; it then runs again
    from the start of process_command. Replicas are never paused.
    """
    server = c.server
    until = server.pause_until
    if not until or c.kind == "replica":
        return False
    if time.time() >= until:
        unpause(server)
        return False
    if server.pause_writes_only and not _may_replicate(c, cmd):
        return False
    held = _pause_state(server)
    c.last_cmd = cmd  # Redis sets lastcmd at lookup: CLIENT LIST shows the held command
    c.paused = True
    c.backlog.insert(0, argv)
    held.append(c)
    return True


def pause(server, end: float, writes_only: bool) -> None:
    """pauseClients: a pause in progress keeps the stronger type and the later end."""
    _pause_state(server)
    now = time.time()
    if server.pause_until and server.pause_until > now:
        writes_only = writes_only and server.pause_writes_only
        end = max(end, server.pause_until)
    if end <= now:
        # The pause is already over (PAUSE 0, or a deadline that overflowed in Redis).
        if server.pause_until:
            unpause(server)
        return
    server.pause_until = end
    server.pause_writes_only = writes_only
    timer = server.pause_timer
    if timer is not None:
        timer.cancel()
    server.pause_timer = _loop(server).call_later(end - now, _pause_expired, server)


def _pause_expired(server) -> None:
    server.pause_timer = None
    remaining = server.pause_until - time.time()
    if remaining > 0:
        server.pause_timer = _loop(server).call_later(remaining, _pause_expired, server)
    else:
        unpause(server)


def unpause(server) -> None:
    """unpauseClients: end the pause; the held clients run again, in the order they were held.

    They resume on the next loop iteration (as Redis reprocesses them from beforeSleep),
    never inside the command that ended the pause.
    """
    held = _pause_state(server)
    server.pause_until = 0.0
    server.pause_writes_only = False
    if server.pause_timer is not None:
        server.pause_timer.cancel()
        server.pause_timer = None
    if not held:
        return
    clients = list(held)
    held.clear()
    for c in clients:
        c.paused = False
    _loop(server).call_soon(_resume_held, clients)


def _resume_held(clients) -> None:
    for c in clients:
        if not c.closed and not c.paused:
            c.resume()


@command("client|pause")
def cmd_client_pause(c, argv):
    """CLIENT PAUSE timeout [WRITE|ALL]

    The mode is checked before the timeout. A timeout whose deadline overflows a long
    long in Redis (e.g. 9223372036854775807) pauses nothing, as there.
    """
    writes_only = False
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode == b"write":
            writes_only = True
        elif mode != b"all":
            raise CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL")
    elif len(argv) != 3:
        raise subcommand_syntax(argv[1], "client")
    ms = string2ll(argv[2])
    if ms is None:
        raise CommandError("ERR timeout is not an integer or out of range")
    if ms < 0:
        raise CommandError("ERR timeout is negative")
    now_ms = time.time_ns() // 1_000_000
    if ms == 0 or ms + now_ms > LLONG_MAX:
        end = 0.0
    else:
        end = (ms + now_ms) / 1000.0
    pause(c.server, end, writes_only)
    return OK


@command("client|unpause")
def cmd_client_unpause(c, argv):
    """CLIENT UNPAUSE"""
    unpause(c.server)
    return OK


__all__ = ["pause_blocks", "pause", "unpause"]

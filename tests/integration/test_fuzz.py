"""Fuzzing a redpy server process: random and mutated RESP, and random argv for every command.

Two properties, checked after every input:

- the server process is alive and a NEW connection answers PING with +PONG (no crash, no
  hang, no stuck event loop);
- no command answers `-ERR internal error` (an unexpected exception in a handler; the server
  logs it with the argv in its log file, which is collected for the failure message).

The generator is a seeded `random.Random`, so a failure can be replayed. Knobs (environment):
REDPY_FUZZ_EXAMPLES (inputs per test; default sized for CI, well under a minute in all) and
REDPY_FUZZ_SEED (default 1234). A long run by hand:

    REDPY_FUZZ_EXAMPLES=20000 python -m pytest -q tests/integration/test_fuzz.py -s
"""

from __future__ import annotations

import os
import random
import re
import socket
import time

import pytest

import redpy.commands  # noqa: F401  (registers the commands)
from redpy.registry import COMMANDS, all_commands

from ..helpers import Conn, ServerProcess, encode_request

EXAMPLES = int(os.environ.get("REDPY_FUZZ_EXAMPLES", "300"))
SEED = int(os.environ.get("REDPY_FUZZ_SEED", "1234"))

# Commands that would stop the server, change how it listens or authenticates, make it a
# replica, pause every client, or run without bound: not fuzzed (they are not what this
# test is about, and real Redis would "fail" the liveness check on them too).
EXCLUDED = {
    "shutdown", "debug", "replicaof", "slaveof", "failover", "sync", "psync", "monitor",
    "config|set", "config|resetstat", "client|pause", "client|kill", "client|no-evict",
    "acl|setuser", "acl|deluser", "acl|load", "acl|save", "acl|dryrun",
    "eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro", "function|restore",
    "function|load", "script|load", "migrate", "save", "bgsave", "bgrewriteaof",
    "cluster", "readonly", "readwrite", "asking", "module|load", "module|loadex",
    "lolwut", "wait", "multi",
}

KEYS = [b"k0", b"k1", b"k2", b"{k}3", b""]
INTS = [b"0", b"1", b"-1", b"2", b"3", b"7", b"10", b"100", b"-100", b"1000", b"65536",
        b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
        b"18446744073709551615", b"01", b"+1", b" 1", b"1.5", b"", b"abc", b"0x10"]
DOUBLES = [b"0", b"1.5", b"-2.5", b"inf", b"-inf", b"+inf", b"nan", b"1e308", b"1e309",
           b"-0", b"0.1", b"5e-324", b"(1", b"(1.5", b"[a", b"-", b"+", b"1e", b".5", b"1."]
STRINGS = [b"", b"v", b"value", b"\x00\xff", b"a" * 100, b"*", b"?", b"[a-z]", b"-", b"+",
           b"$", b"0", b"-1", b"\r\n", b"\xc3\xa9", b"x" * 3000, b"field", b"member"]
WORDS = [b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"EX", b"PX", b"EXAT", b"PXAT",
         b"KEEPTTL", b"GET", b"WITHSCORES", b"LIMIT", b"COUNT", b"MATCH", b"TYPE", b"BY",
         b"STORE", b"REV", b"BYSCORE", b"BYLEX", b"LEFT", b"RIGHT", b"BEFORE", b"AFTER",
         b"ASC", b"DESC", b"ALPHA", b"RANK", b"MAXLEN", b"IDLETIME", b"FREQ", b"REPLACE"]


def _s(v) -> str:
    return v.decode() if isinstance(v, bytes) else v


def _tokens(spec) -> list[bytes]:
    out = []
    for arg in spec or ():
        if b"token" in arg:
            out.append(arg[b"token"])
        out.extend(_tokens(arg.get(b"arguments")))
    return out


class ArgvGenerator:
    """Random argv for a command, following its documented argument grammar loosely."""

    def __init__(self, rnd: random.Random):
        self.rnd = rnd

    def value(self, kind: str) -> bytes:
        rnd = self.rnd
        if rnd.random() < 0.1:  # the wrong kind, sometimes
            kind = rnd.choice(["key", "integer", "double", "string", "token"])
        if kind == "key":
            return rnd.choice(KEYS)
        if kind in ("integer", "unix-time"):
            return rnd.choice(INTS) if rnd.random() < 0.7 else b"%d" % rnd.randint(-20, 20)
        if kind == "double":
            return rnd.choice(DOUBLES + INTS[:8])
        if kind == "pattern":
            return rnd.choice([b"*", b"k*", b"?0", b"[k]*", b"\\", b"*\\", b"[", b"[^a]*", b"k[0-9]"])
        if kind == "token":
            return rnd.choice(WORDS)
        return rnd.choice(STRINGS + KEYS)

    def from_spec(self, spec, out: list[bytes]) -> None:
        rnd = self.rnd
        for arg in spec or ():
            flags = arg.get(b"flags", ())
            flags = {_s(f) for f in flags} if flags else set()
            if "optional" in flags and rnd.random() < 0.5:
                continue
            repeat = rnd.choice([1, 1, 2, 3]) if "multiple" in flags else 1
            for _ in range(repeat):
                kind = _s(arg.get(b"type", b"string"))
                token = arg.get(b"token")
                if token is not None and kind != "pure-token":
                    out.append(token)
                if kind == "pure-token":
                    out.append(token or b"")
                elif kind == "oneof":
                    subs = arg.get(b"arguments") or []
                    if subs:
                        self.from_spec([rnd.choice(subs)], out)
                elif kind == "block":
                    self.from_spec(arg.get(b"arguments"), out)
                else:
                    out.append(self.value(kind))

    def argv(self, cmd) -> list[bytes]:
        rnd = self.rnd
        if cmd.parent is not None:
            argv = [cmd.parent.name.encode(), cmd.name.encode()]
        else:
            argv = [cmd.name.encode()]
        if rnd.random() < 0.2:
            argv = [a.upper() for a in argv]
        docs = cmd.docs_reply() if cmd._docs else {}
        spec = docs.get(b"arguments")
        if spec and rnd.random() < 0.8:
            self.from_spec(spec, argv)
        else:
            arity = cmd.arity
            n = abs(arity) - len(argv) + (rnd.randint(0, 5) if arity < 0 else 0)
            for _ in range(max(0, n)):
                argv.append(self.value(rnd.choice(["key", "string", "integer", "double", "token"])))
        # Mutations: drop, duplicate, insert a token or value, wrong arity.
        fixed = 2 if cmd.parent is not None else 1
        for _ in range(rnd.choice([0, 0, 0, 1, 2])):
            r = rnd.random()
            pos = rnd.randint(fixed, len(argv))
            if r < 0.3 and len(argv) > fixed:
                del argv[min(pos, len(argv) - 1)]
            elif r < 0.6:
                argv.insert(pos, rnd.choice(_tokens(spec) or WORDS))
            else:
                argv.insert(pos, self.value(rnd.choice(["key", "string", "integer", "double"])))
        return argv


def fuzzable_commands():
    out = []
    for cmd in all_commands():
        if cmd.handler is None or cmd.fullname in EXCLUDED or cmd.name in EXCLUDED:
            continue
        if cmd.parent is not None and cmd.parent.name in EXCLUDED:
            continue
        out.append(cmd)
    return out


# --------------------------------------------------------------------------- server


@pytest.fixture(scope="module")
def server():
    srv = ServerProcess("redpy")
    yield srv
    srv.stop()


def internal_errors_in_log(srv: ServerProcess) -> list[str]:
    srv.log.flush()
    try:
        with open(os.path.join(srv.dir, "server.log"), "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    found = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "internal error" in line:
            # The traceback's last line says what went wrong.
            last = ""
            for follow in lines[i + 1 : i + 60]:
                if follow and not follow.startswith((" ", "Traceback")):
                    last = follow
                    break
            found.append(f"{line.strip()} -> {last.strip()}")
    return found


def check_alive(srv: ServerProcess, what, problems: list) -> None:
    """Record a liveness failure; give a stalled server up to 30 s to come back."""
    try:
        assert_alive(srv, what)
    except AssertionError as e:
        problems.append(str(e))
        if not srv.alive():
            raise AssertionError("\n".join(problems)) from None
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                assert_alive(srv, what)
                return
            except AssertionError:
                time.sleep(0.5)
        raise AssertionError("\n".join(problems + ["server did not recover within 30 s"])) from None


def assert_alive(srv: ServerProcess, what) -> None:
    assert srv.alive(), f"server died after {what!r}"
    try:
        c = Conn(srv.port, timeout=10)
    except OSError as e:
        raise AssertionError(f"server does not accept connections after {what!r}: {e}")
    try:
        c.send_raw(b"*1\r\n$4\r\nPING\r\n")
        reply = c.read_reply()
    except (OSError, ConnectionError) as e:
        raise AssertionError(f"server does not answer PING after {what!r}: {e}")
    finally:
        c.close()
    assert reply == b"+PONG\r\n", f"PING answered {reply!r} after {what!r}"


def drain(sock: socket.socket, wait: float) -> bytes:
    sock.settimeout(wait)
    out = b""
    try:
        while True:
            data = sock.recv(1 << 16)
            if not data:
                break
            out += data
    except (socket.timeout, TimeoutError, OSError):
        pass
    return out


# --------------------------------------------------------------------------- RESP fuzz

QUIRKY = [
    b"*0\r\n", b"*-1\r\n", b"\r\n", b"*1\r\n$4\r\nPINGxx", b"*1\r\n$4\r\nPI\0G\r\n",
    b'ECHO "\\x41\\x4g"\r\n', b"ECHO 'it\\'s'\r\n", b'ECHO "a"b\r\n', b"*1\0\r\n",
    b"*2147483647\r\n", b"*1\r\n$536870912\r\n", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$40000\r\n",
    b"*1\r\n\xff3\r\n", b"PING\n", b"*1\rx$4\rxPING\r\n",
]


def random_request(rnd: random.Random, gen: ArgvGenerator, cmds) -> bytes:
    cmd = rnd.choice(cmds)
    argv = gen.argv(cmd)
    if rnd.random() < 0.25:  # inline form, with quoting
        parts = []
        for a in argv:
            if rnd.random() < 0.3 or not a or any(ch in a for ch in b" \t\r\n\"'"):
                parts.append(b'"' + b"".join(b"\\x%02x" % ch for ch in a) + b'"')
            else:
                parts.append(a)
        return b" ".join(parts) + rnd.choice([b"\r\n", b"\n"])
    return encode_request(argv)


def mutate(rnd: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        if not data:
            data += bytes([rnd.randrange(256)])
        op = rnd.random()
        pos = rnd.randrange(len(data))
        if op < 0.25:
            data[pos] = rnd.randrange(256)
        elif op < 0.4:
            data[pos] = rnd.choice(b"*$\r\n\0-0123456789\"' \\x")
        elif op < 0.55:
            del data[pos : pos + rnd.randint(1, 8)]
        elif op < 0.7:
            data[pos:pos] = rnd.choice([b"\r\n", b"\0", b"*", b"$", b"-1", b"99999999999", b'"', b"'", b"\\"])
        elif op < 0.8:
            end = min(len(data), pos + rnd.randint(1, 40))
            data[pos:pos] = data[pos:end]  # duplicate a slice
        elif op < 0.9:
            data = data[:pos]  # truncate
        else:
            digits = re.sub(rb"[0-9]+", lambda m: str(rnd.choice([0, -1, 1, 2**31, 2**63, 10**30, rnd.randint(0, 100)])).encode(), bytes(data), count=1)
            data = bytearray(digits)
    return bytes(data)


def random_resp_input(rnd: random.Random, gen: ArgvGenerator, cmds) -> bytes:
    r = rnd.random()
    if r < 0.1:
        return bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 200)))
    if r < 0.2:
        return rnd.choice(QUIRKY) + random_request(rnd, gen, cmds)
    base = b"".join(random_request(rnd, gen, cmds) for _ in range(rnd.randint(1, 4)))
    if r < 0.35:
        return base  # well-formed, possibly pipelined
    return mutate(rnd, base)


def test_random_and_mutated_resp(server):
    rnd = random.Random(SEED)
    gen = ArgvGenerator(rnd)
    cmds = fuzzable_commands()
    assert cmds, "no commands registered"
    internal = []
    stalls: list[str] = []
    start = time.time()
    for i in range(EXAMPLES):
        data = random_resp_input(rnd, gen, cmds)
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        try:
            # Sometimes in pieces, to exercise the parser's partial paths.
            if rnd.random() < 0.3 and len(data) > 1:
                cuts = sorted(rnd.sample(range(1, len(data)), min(len(data) - 1, rnd.randint(1, 5))))
                prev = 0
                for cut in cuts + [len(data)]:
                    s.sendall(data[prev:cut])
                    prev = cut
                    time.sleep(0.001)
            else:
                s.sendall(data)
            answer = drain(s, 0.02)
        except OSError:
            answer = b""
        finally:
            s.close()
        if b"internal error" in answer:
            internal.append((data[:200], answer[:200]))
        check_alive(server, data[:200], stalls)
    elapsed = time.time() - start
    print(f"\nRESP fuzz: {EXAMPLES} inputs in {elapsed:.1f}s, seed {SEED}, {len(stalls)} stalls")
    logged = internal_errors_in_log(server)
    assert not internal and not logged, f"internal errors: {internal[:20]!r}\nlog: {logged[:40]}"
    assert not stalls, "\n".join(stalls[:20])


# --------------------------------------------------------------------------- argv fuzz

POPULATE = [
    lambda k: [b"SET", k, b"10"],
    lambda k: [b"RPUSH", k, b"a", b"b", b"c", b"10"],
    lambda k: [b"HSET", k, b"field", b"v", b"n", b"5"],
    lambda k: [b"SADD", k, b"member", b"a", b"1"],
    lambda k: [b"ZADD", k, b"1", b"member", b"2.5", b"a", b"3", b"b"],
]


def populate(conn: Conn, rnd: random.Random) -> None:
    """Fill the key pool with values of random types (whatever commands exist)."""
    conn.call("FLUSHALL")
    for key in KEYS:
        argv = rnd.choice(POPULATE)(key)
        conn.call(*argv)



def test_random_argv_for_every_command(server):
    rnd = random.Random(SEED + 1)
    gen = ArgvGenerator(rnd)
    cmds = fuzzable_commands()
    assert cmds, "no commands registered"
    internal = []
    silent = []
    stalls: list[str] = []
    tried = 0
    start = time.time()
    # Every command at least a few times, then random ones: EXAMPLES connections in all,
    # each a short random sequence (so state like MULTI or SELECT carries between commands).
    per_command = max(1, EXAMPLES // (4 * len(cmds)))
    schedule = [c for c in cmds for _ in range(per_command)]
    rnd.shuffle(schedule)
    n_conns = max(EXAMPLES, len(schedule) // 3 + 1)
    for i in range(n_conns):
        conn = Conn(server.port, timeout=2.0)
        if i % 40 == 0:
            populate(conn, rnd)
        seq = []
        for _ in range(rnd.randint(1, 5)):
            cmd = schedule.pop() if schedule else rnd.choice(cmds)
            seq.append(gen.argv(cmd))
        if rnd.random() < 0.1 and b"multi" in COMMANDS and b"exec" in COMMANDS:
            seq = [[b"MULTI"], *seq, [b"EXEC"]]
        try:
            for argv in seq:
                tried += 1
                conn.send_raw(encode_request(argv))
                try:
                    reply = conn.read_reply()
                except (socket.timeout, TimeoutError):
                    cmd = COMMANDS.get(argv[0].lower())
                    blocking = cmd is not None and (cmd.blocking or (cmd.subcommands and any(s.blocking for s in cmd.subcommands.values())))
                    # CLIENT REPLY OFF/SKIP (possibly queued in MULTI) silences what follows.
                    noreply = argv[0].lower() in (b"client", b"subscribe", b"psubscribe", b"ssubscribe") or any(
                        len(a) > 1 and a[0].lower() == b"client" and a[1].lower() == b"reply" for a in seq
                    )
                    if not blocking and not noreply:
                        silent.append(seq)
                    break
                except (ConnectionError, OSError):
                    break
                if reply.startswith(b"-") and b"internal error" in reply:
                    internal.append(argv)
                elif not reply[:1] in b"+-:$*%~,_#(=>|":
                    internal.append((argv, reply[:100]))
        finally:
            conn.close()
        check_alive(server, seq, stalls)
    elapsed = time.time() - start
    print(f"\nargv fuzz: {tried} commands ({len(cmds)} command names) in {elapsed:.1f}s, seed {SEED}, "
          f"{len(internal)} internal errors, {len(silent)} unanswered, {len(stalls)} stalls")
    logged = internal_errors_in_log(server)
    assert not internal and not logged, (
        f"{len(internal)} internal errors, e.g. {internal[:20]!r}\nlog: {logged[:40]}"
    )
    assert not silent, f"sequences with a command that did not answer within 2 s: {silent[:10]!r}"
    assert not stalls, "\n".join(stalls[:20])

"""Lua objects that Python gets while a script's coroutine runs must not outlive it.

lupa makes every Lua object a callback gets or makes while a coroutine runs (its
arguments, the tables of a redis.call reply or error) on the coroutine's lua_State, and
frees it with that lua_State (luaL_unref). Once Lua's GC has collected the coroutine that
is freed memory: the session server once died of a general protection fault in
lua_rawgeti that way, when a later redis.call error made lupa drop the exception it kept
from a redis.call error raised inside a coroutine (the exception's frames held the error
table). Each case runs a coroutine script, then lets Lua's GC collect the coroutine and
reuse its memory, then raises from a callback again; the server must still be there.
"""

from __future__ import annotations

import pytest

from ..helpers import ServerProcess

# collect the dead coroutines, then reuse their memory for strings of many sizes
REUSE = (
    "collectgarbage() local t = {} for n = 100, 300, 3 do for i = 1, 10 do "
    "t[#t + 1] = string.rep('x', n) .. i end end collectgarbage() return #t"
)

SCRIPTS = [
    # the suite's own script that left a dangling object (the error table of redis.call)
    "local co = coroutine.create(function() redis.call('nosuch') end) "
    "local ok, e = coroutine.resume(co) return {tostring(ok), type(e)}",
    # a callback failing with a table argument (or a partial result) in its frames
    "local f = coroutine.wrap(function() return {pcall(redis.call, 'get', {})} end) return f()",
    "local f = coroutine.wrap(function() return {pcall(struct.pack, '>I', {})} end) return f()",
    "local f = coroutine.wrap(function() return {pcall(cjson.encode, {[true] = 1})} end) return f()",
    "local f = coroutine.wrap(function() return {pcall(cmsgpack.unpack, '\\145\\129\\192\\1')} end) return f()",
    "local f = coroutine.wrap(function() return {pcall(bit.band, {})} end) return f()",
]


@pytest.fixture
def server():  # one per case: a crash shows in its own case
    srv = ServerProcess("redpy")
    yield srv
    srv.stop()


def _survives(srv, conn, body) -> None:
    for _ in range(5):
        conn.call("EVAL", body, "0")
        assert conn.call("EVAL", REUSE, "0").startswith(b":")
        # a new error raised by a callback: lupa drops the exception it kept
        assert conn.call("EVAL", "return redis.call('nosuch')", "0").startswith(b"-ERR Unknown Redis command")
    assert conn.call("PING") == b"+PONG\r\n"
    assert srv.alive()


@pytest.mark.parametrize("body", SCRIPTS)
def test_coroutine_script_objects_do_not_outlive_it(server, body):
    conn = server.conn()
    try:
        _survives(server, conn, body)
    finally:
        conn.close()


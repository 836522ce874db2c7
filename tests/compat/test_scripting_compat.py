"""Differential tests of EVAL / SCRIPT / FCALL / FUNCTION against the oracle (raw bytes)."""

import pytest

EVAL_SEQUENCE = [
    ("eval", "return x", "0"),
    ("eval", "x=1", "0"),
    ("eval", "return redis.call('foo')", "0"),
    ("eval", "return redis.call('get')", "0"),
    ("eval", "return redis.pcall('foo')", "0"),
    ("set", "s", "x"),
    ("eval", "return redis.call('incr','s')", "0"),
    ("eval", "return redis.pcall('incr','s')", "0"),
    ("eval", "return redis.call('subscribe','s')", "0"),
    ("eval", "return 1", "-1"),
    ("eval", "return 1", "2", "a"),
    ("eval", "return 1", "x"),
    ("evalsha", "abc", "0"),
    ("eval_ro", "return redis.call('set','a','b')", "0"),
    ("eval", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"),
    ("eval", "return {1,2,3.7,'x',nil,4}", "0"),
    ("eval", "return {ok='fine'}", "0"),
    ("eval", "return {err='bad'}", "0"),
    ("eval", "return redis.error_reply('My err')", "0"),
    ("eval", "return redis.status_reply('S')", "0"),
    ("eval", "return true", "0"),
    ("eval", "return false", "0"),
    ("eval", "return 3.99", "0"),
    ("eval", "return -3.99", "0"),
    ("eval", "return redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM", "0"),
    ("eval", "return {type(io), type(loadstring), type(bit), type(cjson)}", "0"),
    ("eval", "return os", "0"),
    ("eval", "error('boom')", "0"),
    ("eval", "error({err='X boom'})", "0"),
    ("eval", "error('boom', 0)", "0"),
    ("eval", "local r = redis.pcall('incr', 's') return type(r) .. tostring(r.err)", "0"),
    ("eval", "local r = redis.error_reply('x') return r.err", "0"),
    ("eval", "local r = redis.error_reply('-x y') return r.err", "0"),
    ("eval", "return {err=''}", "0"),
    ("eval", "return syntax error here", "0"),
    ("eval", "return redis.call()", "0"),
    ("eval", "return redis.call(1)", "0"),
    ("eval", "return redis.call({})", "0"),
    ("eval", "return redis.call('set', 'a', 1.5)", "0"),
    ("eval", "return redis.call('get', 'a')", "0"),
    ("eval", "return redis.call('set', 'a', 10000000000000000000000)", "0"),
    ("eval", "return redis.call('get', 'a')", "0"),
    ("eval", "return redis.call('set', 'a', 0.1)", "0"),
    ("eval", "return redis.call('get', 'a')", "0"),
    ("eval", "return type(redis.call('get', 'nokey'))", "0"),
    ("eval", "return redis.call('ping')", "0"),
    ("eval", "return KEYS[1] .. ARGV[1] .. #KEYS .. #ARGV", "1", "k", "a", "b"),
    ("eval", "KEYS = 1", "0"),
    ("eval", "redis.call = 1", "0"),
    ("eval", "string.x = 1", "0"),
    ("eval", "#!lua flags=no-writes,bad\nreturn 1", "0"),
    ("eval", "#!lua x=1\nreturn 1", "0"),
    ("eval", "#!luax\nreturn 1", "0"),
    ("eval", "#!lua\nreturn 1", "0"),
    ("eval", "#!lua flags=\nreturn 1", "0"),
    ("eval", "#!lua flags=no-writes  \nreturn error('x')", "0"),
    ("eval", "return {double=3.5}", "0"),
    ("eval", "return {big_number='123'}", "0"),
    ("eval", "return {map={a=1}}", "0"),
    ("eval", "return {set={a=true}}", "0"),
    ("eval", "return {verbatim_string={format='txt', string='hi'}}", "0"),
    ("eval", "redis.setresp(3) return redis.call('hgetall', 'nokey')", "0"),
    ("eval", "redis.setresp(3) return true", "0"),
    ("eval", "redis.setresp(3) return false", "0"),
    ("eval", "redis.setresp(4)", "0"),
    ("eval", "return redis.sha1hex('')", "0"),
    ("eval", "return redis.sha1hex()", "0"),
    ("eval", "return redis.replicate_commands()", "0"),
    ("eval", "return redis.breakpoint()", "0"),
    ("eval", "return redis.debug('x')", "0"),
    ("eval", "return redis.set_repl(99)", "0"),
    ("eval", "return {redis.REPL_ALL, redis.REPL_AOF, redis.REPL_NONE, redis.REPL_REPLICA, redis.REPL_SLAVE, redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}", "0"),
    ("eval", "return redis.log(99, 'x')", "0"),
    ("eval", "return redis.log(1)", "0"),
    ("eval", "return cjson.encode({1,2,{a=1}, 'x/y', 1.5, 0.1, 1e20, {}})", "0"),
    ("eval", "return cjson.encode({[1]=1, [3]=2})", "0"),
    ("eval", "return cjson.encode({[1]=1, [30]=2})", "0"),
    ("eval", "return cjson.encode(function() end)", "0"),
    ("eval", "return cjson.encode('\\1\\128\"\\\\\\n\\127')", "0"),
    ("eval", "return cjson.decode('[1,2,{\"a\":null}, 1.5, \"\\\\u00e9\"]')", "0"),
    ("eval", "return cjson.encode(cjson.decode('{\"a\":[1,2,null,true],\"b\":\"x\"}').a)", "0"),
    ("eval", "return {bit.tohex(65535), bit.band(0xff, 0x0f), bit.bnot(0), bit.lshift(1, 31), bit.arshift(-256, 4), bit.rshift(-256,4), bit.tobit(2^32+5), bit.tohex(-1, -4), bit.bswap(1), bit.rol(1, 33), bit.bor(1,2,4), bit.bxor(7, 2)}", "0"),
    ("script", "help"),
    ("script", "kill"),
    ("function", "kill"),
    ("function", "help"),
    ("script", "flush", "bad"),
    ("script", "load", "return 1"),
    ("script", "exists", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "x"),
    ("evalsha", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"),
    ("script", "load", "return ("),
    ("script", "flush"),
    ("evalsha", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"),
    ("eval", "redis.call('select', 5) redis.call('set', 'dbk', 'v') return redis.call('dbsize')", "0"),
    ("exists", "dbk"),
    ("select", "5"),
    ("get", "dbk"),
    ("select", "0"),
    ("eval", "return redis.call('blpop', 'nolist', 0)", "0"),
    ("eval", "return redis.call('eval', 'return 1', 0)", "0"),
    ("eval", "return pcall(function() redis.call('nosuch') end)", "0"),
    ("eval", "local ok, e = pcall(function() redis.call('nosuch') end) return e.err", "0"),
    ("eval", "return loadstring('return 1+1')()", "0"),
    ("eval", "return loadstring('return zz')()", "0"),
    ("eval", "local t = {} for k in pairs(redis) do t[#t+1] = k end table.sort(t) return t", "0"),
    ("eval", "return redis.call('hset', 'h', 'a', '1', 'b', '2')", "0"),
    ("eval", "return redis.call('hgetall', 'h')", "0"),
    ("eval", "redis.setresp(3) return redis.call('hgetall', 'h')", "0"),
    ("eval", "redis.setresp(3) return redis.call('hgetall', 'h').map.a", "0"),
    ("eval", "redis.setresp(3) return redis.call('get', 'nokey') == nil", "0"),
    ("eval", "return redis.call('zadd', 'z', 1.5, 'a')", "0"),
    ("eval", "redis.setresp(3) return redis.call('zscore', 'z', 'a')", "0"),
    ("eval", "return redis.call('zscore', 'z', 'a')", "0"),
    ("eval", "return {1, {2, {3, 'x'}}, false, 7}", "0"),
]

FUNCTION_SEQUENCE = [
    ("function", "load", "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return {keys, args, redis.call('ping')} end)\nredis.register_function{function_name='f2', callback=function() return x end, flags={'no-writes'}, description='desc'}"),
    ("fcall", "f1", "1", "k", "a"),
    ("fcall", "f2", "0"),
    ("fcall", "nof", "0"),
    ("fcall", "f1", "2", "k"),
    ("function", "stats"),
    ("function", "load", "#!lua name=lib1\nreturn 1"),
    ("function", "load", "#!lua name=lib2\nreturn 1"),
    ("function", "load", "#!lua name=lib2\nredis.call('ping')"),
    ("function", "load", "#!lua name=lib2\nx = 1"),
    ("function", "load", "#!lua name=lib2\nreturn y"),
    ("function", "load", "#!lua name=lib2\nredis.register_function('f1', function() end)"),
    ("function", "load", "#!lua\nreturn 1"),
    ("function", "load", "return 1"),
    ("function", "load", "#!lua name=lib2\nredis.register_function('f-x', function() end)"),
    ("function", "load", "#!lua name=lib2\nredis.register_function{function_name='f9', callback=function() end, flags={'bad'}}"),
    ("function", "load", "#!lua name=lib2\nlocal function g() return redis.register_function end redis.register_function('g9', function() return g()('x', function() end) end)"),
    ("fcall", "g9", "0"),
    ("fcall_ro", "f1", "0"),
    ("function", "delete", "nolib"),
    ("function", "delete", "lib2"),
    ("function", "flush", "x"),
    ("function", "load", "replace", "#!lua name=lib1\nredis.register_function('f3', function(k,a) error('oops') end)"),
    ("fcall", "f3", "0"),
    ("fcall", "f1", "0"),
]


@pytest.fixture
def fresh(both):
    for conn in (both.oracle, both.mine):
        conn.call("SCRIPT", "FLUSH")
        conn.call("FUNCTION", "FLUSH")
    return both


def test_eval_sequence_resp2(fresh):
    for args in EVAL_SEQUENCE:
        fresh.check(*args)


def test_eval_sequence_resp3(fresh):
    for conn in (fresh.oracle, fresh.mine):
        conn.call("HELLO", "3")
    for args in EVAL_SEQUENCE:
        fresh.check(*args)


def test_function_sequence(fresh):
    for args in FUNCTION_SEQUENCE:
        fresh.check(*args)


def test_function_list_single_library(fresh):
    fresh.check("FUNCTION", "LOAD", "#!lua name=only\nredis.register_function{function_name='g', callback=function() return 1 end, flags={'no-writes'}, description='d'}")
    fresh.check("FUNCTION", "LIST")
    fresh.check("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "on*")
    fresh.check("FUNCTION", "LIST", "LIBRARYNAME", "x*")
    fresh.check("FCALL_RO", "g", "0")

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


# ---------------------------------------------------------------------- struct / cmsgpack

# w(...) turns multiple results into strings, numbers with %.17g, so that nothing is
# lost in the reply conversion; a line starting with "!" is a whole script body.
_LIB_PRELUDE = (
    "local function w(...) local t = {} for i = 1, select('#', ...) do local v = select(i, ...) "
    "t[i] = type(v) == 'number' and string.format('%.17g', v) or tostring(v) end return t end "
)

STRUCT_EXPRESSIONS = [
    "struct.pack('>i', 1)",
    "struct.pack('<i', -1)",
    "struct.pack('b', 200)",
    "struct.pack('B', -1)",
    "struct.pack('h', 70000)",
    "struct.pack('>H', 65535)",
    "struct.pack('l', 2^62)",
    "struct.pack('>L', 2^63)",
    "struct.pack('>L', 2^64)",
    "struct.pack('>l', -2^64)",
    "struct.pack('>l', 0/0)",
    "struct.pack('>L', 1/0)",
    "struct.pack('>l', -1/0)",
    "struct.pack('>l', 1.9)",
    "struct.pack('>l', -1.9)",
    "struct.pack('>T', 12345)",
    "struct.pack('>i3', 100000)",
    "struct.pack('<i16', -2)",
    "struct.pack('>I16', 5)",
    "struct.pack('i33', 1)",
    "struct.pack('i99999999999', 1)",
    "struct.pack('f', 1.5)",
    "struct.pack('>f', 0.1)",
    "struct.pack('>f', 1e300)",
    "struct.pack('>d', 0.1)",
    "struct.pack('s', 'abc')",
    "struct.pack('c5', 'hello world')",
    "struct.pack('c0', 'whole')",
    "struct.pack('c5', 'hi')",
    "struct.pack('!4 b i', 1, 2)",
    "struct.pack('!b d', 1, 2)",
    "struct.pack('!3 b', 1)",
    "struct.pack('x x b', 7)",
    "struct.pack('z', 1)",
    "struct.pack('i', 'x')",
    "struct.pack('i')",
    "struct.pack('i', '12')",
    "struct.pack('i', ' 0x10 ')",
    "struct.pack('s', 12.5)",
    "struct.pack('s', {})",
    'struct.pack(1)',
    'struct.pack()',
    "struct.pack('>!8 b d s h', 1, 2.5, 'ab', 3)",
    "w(struct.unpack('>i', struct.pack('>i', -5)))",
    "w(struct.unpack('<I', '\\255\\255\\255\\255'))",
    "w(struct.unpack('>h', '\\255\\254'))",
    "w(struct.unpack('b', '\\200'))",
    "w(struct.unpack('>l', '\\255\\255\\255\\255\\255\\255\\255\\255'))",
    "w(struct.unpack('>L', '\\255\\255\\255\\255\\255\\255\\255\\255'))",
    "w(struct.unpack('<i16', string.rep('\\255', 16)))",
    "w(struct.unpack('>i3', '\\255\\0\\1'))",
    "w(struct.unpack('f', struct.pack('f', 0.1)))",
    "w(struct.unpack('>d', struct.pack('>d', 1/3)))",
    "w(struct.unpack('s', 'abc\\0def'))",
    "w(struct.unpack('s', 'abc'))",
    "w(struct.unpack('c3', 'abcdef'))",
    "w(struct.unpack('b c0', '\\3abcdef'))",
    "w(struct.unpack('c0', 'abc'))",
    "w(struct.unpack('c1 c0', '3abcd'))",
    "w(struct.unpack('i', 'ab'))",
    "w(struct.unpack('b', 'abc', 2))",
    "w(struct.unpack('b', 'abc', 0))",
    "w(struct.unpack('b', 'abc', 4))",
    "w(struct.unpack('b', 'abc', 3))",
    "w(struct.unpack('!4 b i', struct.pack('!4 b i', 1, 2)))",
    "w(struct.unpack('x b', 'ab'))",
    "w(struct.unpack('z', 'ab'))",
    "w(struct.unpack('b'))",
    "w(struct.unpack(nil, 'a'))",
    "struct.size('>i')",
    "struct.size('!8 b d')",
    "struct.size('c5 h')",
    "struct.size('s')",
    "struct.size('c0')",
    "struct.size('z')",
    "struct.size('!3')",
    "struct.size('i')",
    "struct.size('T L l')",
    "struct.size('#')",
]

CMSGPACK_EXPRESSIONS = [
    'cmsgpack.pack(1)',
    "cmsgpack.pack(1, 2, 'x')",
    'cmsgpack.pack()',
    'cmsgpack.pack(nil)',
    'cmsgpack.pack(true, false)',
    'cmsgpack.pack(127, 128, 255, 256, 65535, 65536, 2^32-1, 2^32, 2^53, 2^63, 2^64, -2^63, -2^63-4096)',
    'cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31-1)',
    'cmsgpack.pack(0.5, 0.1, 1.5, -2.25, 1e300, 1/0, -1/0, 0/0, 3.4028234663852886e38, 1e-45)',
    'cmsgpack.pack(-0)',
    "cmsgpack.pack(string.rep('a', 31), string.rep('b', 32))",
    "cmsgpack.pack(string.rep('a', 255))",
    "cmsgpack.pack(string.rep('a', 256))",
    'cmsgpack.pack({})',
    'cmsgpack.pack({1, 2, 3})',
    'cmsgpack.pack({1, 2, nil, 4})',
    'cmsgpack.pack({[1]=1, [3]=3})',
    'cmsgpack.pack({[2]=1})',
    'cmsgpack.pack({a=1})',
    "cmsgpack.pack({a=1, b=2, c=3, d={1,2}, e={x='y'}})",
    'cmsgpack.pack({[1.5]=1})',
    'cmsgpack.pack({[0]=1})',
    'cmsgpack.pack({[-1]=1})',
    'cmsgpack.pack({[true]=1})',
    'cmsgpack.pack({1, 2, x=3})',
    "cmsgpack.pack({foo='bar', baz={1, {2, {3}}}, [10]=true, [2.5]='f'})",
    'cmsgpack.pack(function() end)',
    'cmsgpack.pack(cjson.null)',
    '!local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)',
    '!local t = {} for i = 1, 70000 do t[i] = 1 end return #cmsgpack.pack(t)',
    "!local t = {} for i = 1, 20 do t['k' .. i] = i end return cmsgpack.pack(t)",
    '!local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)',
    '!local t = {} t[1] = t return cmsgpack.pack(t)',
    '!local t = {} t.a = t return cmsgpack.pack(t)',
    'w(cmsgpack.unpack(cmsgpack.pack(1, 2, 3)))',
    "w(cmsgpack.unpack(''))",
    "w(cmsgpack.unpack('\\192'))",
    "w(cmsgpack.unpack('\\204'))",
    "w(cmsgpack.unpack('\\193'))",
    "w(cmsgpack.unpack('\\196\\1a'))",
    "w(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255'))",
    "w(cmsgpack.unpack('\\207\\128\\0\\0\\0\\0\\0\\0\\1'))",
    "w(cmsgpack.unpack('\\211\\255\\255\\255\\255\\255\\255\\255\\254'))",
    "w(cmsgpack.unpack('\\208\\200', '\\209\\128\\1', '\\210\\128\\0\\0\\1'))",
    "w(cmsgpack.unpack('\\208\\200\\209\\128\\1\\210\\128\\0\\0\\1\\204\\200\\205\\255\\255\\206\\255\\255\\255\\255'))",
    "w(cmsgpack.unpack('\\202\\63\\192\\0\\0\\203\\63\\185\\153\\153\\153\\153\\153\\154'))",
    "w(cmsgpack.unpack('\\217\\3abc\\218\\0\\2xy\\219\\0\\0\\0\\1z'))",
    "w(cmsgpack.unpack('\\217\\5abc'))",
    "w(cmsgpack.unpack('\\255\\224\\127\\0'))",
    'w(cmsgpack.unpack(12))',
    'w(cmsgpack.unpack())',
    'w(cmsgpack.unpack({}))',
    'cjson.encode(cmsgpack.unpack(cmsgpack.pack({1, 2, {a=1, b={true, false}}})))',
    "cjson.encode({cmsgpack.unpack('\\147\\1\\192\\3')})",
    "cjson.encode({cmsgpack.unpack('\\130\\1\\192\\2\\3')})",
    "w(cmsgpack.unpack('\\129\\192\\1'))",
    "w(cmsgpack.unpack('\\129\\203\\127\\248\\0\\0\\0\\0\\0\\0\\1'))",
    "cjson.encode({cmsgpack.unpack('\\220\\0\\2\\1\\2')})",
    "cjson.encode({cmsgpack.unpack('\\221\\0\\0\\0\\1\\1')})",
    "cjson.encode({cmsgpack.unpack('\\222\\0\\1\\1\\2')})",
    "cjson.encode({cmsgpack.unpack('\\223\\0\\0\\0\\1\\1\\2')})",
    "cjson.encode({cmsgpack.unpack('\\220\\0\\3\\1\\2')})",
    'w(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3)))',
    'w(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1))',
    'w(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2))',
    'w(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3))',
    'w(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4))',
    'w(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1))',
    "w(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 'x'))",
    "w(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), '1'))",
    'w(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1.7))',
    'w(cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2))',
    'w(cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1))',
    'w(cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0))',
    'w(cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1))',
    'w(cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1))',
    'w(cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5, 0))',
    'w(cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3)))',
    "w(cmsgpack.unpack_limit('', 1))",
    "w(cmsgpack.unpack_one(''))",
    "w(cmsgpack.unpack_one('\\204'))",
]


def _lib_body(expr: str) -> str:
    return _LIB_PRELUDE + (expr[1:] if expr.startswith("!") else "return " + expr)


@pytest.mark.parametrize("expr", STRUCT_EXPRESSIONS)
def test_struct_library(both, expr):
    both.check("EVAL", _lib_body(expr), "0")


@pytest.mark.parametrize("expr", CMSGPACK_EXPRESSIONS)
def test_cmsgpack_library(both, expr):
    both.check("EVAL", _lib_body(expr), "0")


def _random_lua_value(rng, depth=0):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return str(rng.randint(-2**40, 2**40))
    if kind == 1:
        return str(rng.choice([0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, -1, -32, -33, -128, -129, -32768, -32769, -2**31, -2**31 - 1, 2**53, -2**53]))
    if kind == 2:
        return repr(rng.uniform(-1e6, 1e6))
    if kind == 3:
        return repr(rng.choice([0.5, 0.25, -1.5, 1e-3, 3.4e38, 1e300, 2.0**-149]))
    if kind == 4:
        n = rng.choice([0, 1, 5, 31, 32, 33, 200, 255, 256, 300])
        return "string.rep(%r, %d)" % (rng.choice("ab\\x"), n)
    if kind == 5:
        return rng.choice(["true", "false", "nil"])
    if kind == 6:
        items = [_random_lua_value(rng, depth + 1) for _ in range(rng.randrange(0, 18))]
        return "{" + ", ".join(i for i in items if i != "nil") + "}"
    if kind == 7:
        n = rng.randrange(0, 18)
        return "{" + ", ".join("k%d = %s" % (i, _random_lua_value(rng, depth + 1)) for i in range(n)) + "}"
    n = rng.randrange(1, 6)
    return "{" + ", ".join("[%d] = %s" % (rng.choice([1, 2, 3, 5, 8]), _random_lua_value(rng, depth + 1)) for _ in range(n)) + "}"


def test_cmsgpack_random_values(both):
    """Seeded random values: pack bytes, and pack(unpack(pack(v))) equal to the oracle's."""
    import random

    rng = random.Random(5)
    for _ in range(60):
        values = ", ".join(_random_lua_value(rng) for _ in range(rng.randrange(1, 4)))
        both.check("EVAL", "return cmsgpack.pack(%s)" % values, "0")
        both.check("EVAL", "return cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack(%s)))" % values, "0")


def test_struct_random_round_trips(both):
    import random

    rng = random.Random(7)
    for _ in range(60):
        fmt = "".join(rng.choice(["b", "B", "h", "H", "i", "I", "l", "L", "i3", "I5", "f", "d", "<", ">", "!4", "!8", " ", "x"]) for _ in range(rng.randrange(1, 6)))
        n = sum(1 for ch in fmt if ch in "bBhHiIlLfd")
        args = ", ".join(repr(rng.choice([0, 1, -1, 127, 200, -200, 65537, 2**31, -2**31, 2**40, 0.5, -3.75, 1e10])) for _ in range(max(n, 0)))
        body = "return {struct.pack(%r%s), struct.size(%r)}" % (fmt, ", " + args if args else "", fmt)
        both.check("EVAL", body, "0")


# ---------------------------------------------------------------------- OOM

OOM_LIB = (
    "#!lua name=ol\n"
    "redis.register_function('fw', function() return redis.call('set', 'k', 'v') end)\n"
    "redis.register_function{function_name='fo', callback=function() return redis.call('set', 'k', 'v') end, flags={'allow-oom'}}\n"
    "redis.register_function{function_name='fn', callback=function() return redis.call('get', 'pre') end, flags={'no-writes'}}\n"
)

OOM_SEQUENCE = [
    ("EVAL", "return redis.call('set','k','v')", "0"),
    ("EVAL", "return redis.call('get','pre')", "0"),
    ("EVAL", "redis.call('del','zz') return redis.call('set','k','v')", "0"),
    ("EVAL", "return redis.pcall('set','k','v')", "0"),
    ("EVAL", "local ok, e = pcall(redis.call, 'set', 'k', 'v') return e", "0"),
    ("EVAL", "return redis.call('incr','pre')", "0"),
    ("EVAL", "return redis.call('expire','pre', 100)", "0"),
    ("EVAL", "#!lua\nreturn 1", "0"),
    ("EVAL", "#!lua\nreturn 1", "notanumber"),
    ("EVAL", "#!lua flags=no-writes\nreturn redis.call('get','pre')", "0"),
    ("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','k','v')", "0"),
    ("EVAL", "#!lua flags=no-writes,allow-oom\nreturn redis.call('set','k','v')", "0"),
    ("EVAL", "#!lua flags=bogus\nreturn 1", "0"),
    ("EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"),
    ("EVAL_RO", "return redis.call('get','pre')", "0"),
    ("FCALL", "fw", "0"),
    ("FCALL", "fw", "x"),
    ("FCALL", "fo", "0"),
    ("FCALL", "fn", "0"),
    ("FCALL_RO", "fn", "0"),
    ("FCALL", "nosuch", "0"),
]


@pytest.fixture
def oom_pair():
    """A fresh oracle and an embedded redpy, both over maxmemory (noeviction).

    redpy's OOM state comes from processCommand's check (pre_command_oom_state, set by
    the maxmemory feature); here it is set directly on the embedded server."""
    import redpy

    from ..conftest import Pair
    from ..helpers import Conn, ServerProcess

    oracle = ServerProcess("oracle", "--maxmemory-policy", "noeviction")
    srv = redpy.EmbeddedServer(**{"maxmemory-policy": "noeviction"}).start()
    o, m = oracle.conn(), Conn(srv.port)
    pair = Pair(o, m)
    try:
        for conn in (o, m):
            conn.call("SET", "pre", "v")
            conn.call("FUNCTION", "LOAD", OOM_LIB)
            conn.call("SCRIPT", "LOAD", "#!lua\nreturn 1")
        yield pair, srv, oracle
    finally:
        o.close()
        m.close()
        oracle.stop()
        srv.stop()


def _go_oom(oracle, srv):
    from ..helpers import Conn

    for conn in (oracle.conn(), Conn(srv.port)):
        assert conn.call("CONFIG", "SET", "maxmemory", "1") == b"+OK\r\n"
        conn.close()
    srv.server.pre_command_oom_state = True


def test_scripts_over_maxmemory(oom_pair):
    pair, srv, oracle = oom_pair
    _go_oom(oracle, srv)
    for args in OOM_SEQUENCE:
        pair.check(*args)


def test_script_queued_before_oom_runs_into_allow_oom_check(oom_pair):
    """EVALSHA queued while its script was unknown, the script loaded by another client,
    then over maxmemory at EXEC: scriptPrepareForRun refuses it."""
    from ..helpers import Conn

    pair, srv, oracle = oom_pair
    body = "#!lua\nreturn 'ran'"
    sha = "3b6088da25ca9176d60014ca503eba1022a8b151"  # sha1(body), not loaded yet
    for conn in (pair.oracle, pair.mine):
        conn.call("SCRIPT", "FLUSH")
    pair.check("MULTI")
    pair.check("EVALSHA", sha, "0")
    pair.check("EVAL", "return redis.call('set', 'k', 'v')", "0")
    for other in (oracle.conn(), Conn(srv.port)):
        assert other.call("SCRIPT", "LOAD", body) == b"$40\r\n%s\r\n" % sha.encode()
        other.close()
    _go_oom(oracle, srv)
    reply = pair.check("EXEC")
    assert b"OOM allow-oom flag is not set on the script" in reply
    assert b"OOM command not allowed when used memory" in reply


# ---------------------------------------------------------------------- sandbox and redis.* details

# whole script bodies (no w() prelude: a script that raises error({}) crashes the oracle)
SANDBOX_SCRIPTS = [
    'local t = {} for k in pairs(bit) do t[#t+1] = k end table.sort(t) return t',
    'local t = {} for k in pairs(string) do t[#t+1] = k end table.sort(t) return t',
    'local t = {} for k in pairs(math) do t[#t+1] = k end table.sort(t) return t',
    'local t = {} for k in pairs(table) do t[#t+1] = k end table.sort(t) return t',
    'local t = {} for k in pairs(_G) do t[#t+1] = k end table.sort(t) return t',
    'local x = nil return x.y',
    'local x = 1 + {}',
    'error()',
    'error(nil)',
    'error(123)',
    "local function f() error('deep') end f()",
    'local function f() local x = nil; return x() end f()',
    "return redis.call('get', 'a', 'b')",
    "return redis.pcall('get', 'a', 'b')",
    "return redis.call('hgetall')",
    'return {err={}}',
    'return {ok=1}',
    "return {1, {err='inner'}, 3}",
    "return {1, {ok='inner'}, 3}",
    "return {{double=1.5}, {big_number='12'}, {map={a={set={x=true}}}}}",
    "redis.setresp(3) return {{double=1.5}, {big_number='12'}, {map={a={set={x=true}}}}}",
    "redis.setresp(2) return redis.call('ping')",
    'return redis.setresp()',
    "return redis.setresp('3')",
    'return redis.set_repl()',
    'return redis.set_repl(redis.REPL_ALL)',
    "return redis.set_repl('1')",
    "return redis.log(redis.LOG_WARNING, 'x', 1, {}, nil)",
    "return redis.log('x', 'y')",
    'return tostring(print)',
    'return type(getfenv)',
    'return type(newproxy)',
    'return type(module)',
    'return type(require)',
    'return type(gcinfo())',
    "return string.format('%5.2f|%d|%s', 3.14159, 42, 'x')",
    "return tostring(1e15) .. ' ' .. tostring(1e16) .. ' ' .. tostring(0.1)",
    "return string.rep('x', 3, ',')",
    'return {pcall(error)}',
    "return {pcall(error, 'x')}",
    "return {pcall(error, {err='x'})}",
    "return {pcall(redis.call, 'nosuch')}",
    "return select('#', pcall(redis.call, 'nosuch'))",
    "return {xpcall(function() error('q') end, function(e) return 'handled: ' .. tostring(e) end)}",
    'return redis.sha1hex(123)',
    'return redis.sha1hex(nil)',
    'return redis.error_reply(1)',
    'return redis.status_reply()',
    'return redis.breakpoint(1)',
    "return redis.acl_check_cmd('set', 'a', 'b')",
    "return redis.acl_check_cmd('nosuch')",
    'return redis.acl_check_cmd()',
    'return redis.REDIS_VERSION_NUM',
    "return coroutine.wrap(function() return redis.call('ping') end)()",
    'local co = coroutine.create(function() coroutine.yield(1) return 2 end) return {coroutine.resume(co)}',
    'return unpack({1, 2, 3})',
    "return loadstring('x = 1')()",
    "return loadstring('syntax error here')",
    "return {loadstring('syntax error here')}",
    'return #KEYS',
    'return _G.KEYS',
    "rawset(_G, 'x', 1)",
    'setmetatable(_G, nil)',
    'return getmetatable(_G)',
    "return getmetatable('')",
    "getmetatable('').__index.upper = nil",
    'string.upper = nil',
    'local s = string s.x = 1',
    "return tonumber('0x10') .. ' ' .. tonumber('  12  ') .. ' ' .. tostring(tonumber('1e1'))",
    'return math.huge',
    'return -math.huge',
    'return 0/0',
    'return {0/0}',
    'return {math.huge}',
    "return redis.call('set', 'k', 'v', 'ex', 0)",
    "return redis.call('incrbyfloat', 'f', '1.5')",
    "return redis.call('object', 'encoding', 'nokey')",
    "return redis.call('client', 'setname', 'x')",
    "return redis.call('client', 'getname')",
    "return redis.call('hello')",
    "return redis.call('auth', 'x')",
    "return redis.call('multi')",
    "return redis.call('exec')",
    "return redis.call('watch', 'x')",
    "return redis.call('script', 'load', 'return 1')",
    "return redis.call('function', 'list')",
    "return redis.call('debug', 'sleep', 0)",
    "return redis.call('select', 100)",
    "return redis.call('shutdown')",
    "return redis.call('monitor')",
    "return redis.call('config', 'get', 'maxmemory')",
    "return redis.call('info', 'keyspace')",
    "return redis.call('time')[1] ~= nil",
    "return redis.call('randomkey')",
    "return redis.call('spop', 'nokey')",
    "return redis.call('xadd', 's', '*', 'f', 'v') ~= nil",
    "return redis.set_repl('x')",
    'return redis.setresp(2.9)',
    "getmetatable('').x = 1",
    "return getmetatable('').x",
    'return type(getmetatable(_G).__index)',
    'getmetatable(_G).x = 1',
    "rawset(string, 'x', 1)",
    "rawset(redis, 'x', 1)",
    "local t = {} rawset(t, 'x', 1) return t.x",
    'local t = setmetatable({}, {__index = function() return 5 end}) return t.y',
    "return ('abc'):upper() .. string.len('xy')",
    "math.randomseed(7) return {math.random(1000), math.random(5, 10), string.format('%.17g', math.random())}",
    "math.randomseed('7') return {math.random(), math.random(3, 3)}",
    "math.randomseed(2^40) return math.random(1000)",
    "return math.random(0)",
    "return math.random(1, 2, 3)",
    "return math.random('x')",
    "return math.randomseed()",
]


@pytest.mark.parametrize("body", SANDBOX_SCRIPTS)
def test_sandbox_and_library_details(both, body):
    both.check("EVAL", body, "0")


def test_math_random_sequence_from_a_fresh_server():
    """One redisLrand48 sequence per server, from rand.c's initial state: not reseeded
    by EVAL, FCALL or SCRIPT FLUSH."""
    from ..helpers import ServerProcess

    transcripts = []
    for kind in ("oracle", "redpy"):
        srv = ServerProcess(kind)
        try:
            c = srv.conn()
            out = [c.call("EVAL", "return {math.random(1000), math.random(1000)}", "0")]
            out.append(c.call("FUNCTION", "LOAD", "#!lua name=rnd\nredis.register_function('r', function() return {math.random(1000), math.random(100)} end)"))
            out.append(c.call("FCALL", "r", "0"))
            out.append(c.call("SCRIPT", "FLUSH"))
            out.append(c.call("EVAL", "return string.format('%.17g', math.random())", "0"))
            transcripts.append(out)
        finally:
            srv.stop()
    assert transcripts[1] == transcripts[0]
    assert transcripts[0][0] == b"*2\r\n:397\r\n:841\r\n"


# ---------------------------------------------------------------------- FUNCTION LOAD's environment

_LOAD_NAMES = ["redis.setresp", "redis.log", "redis.LOG_WARNING", "redis.REDIS_VERSION",
               "redis.REDIS_VERSION_NUM", "redis.call", "redis.sha1hex", "redis.register_function",
               "_G", "ipairs", "pcall", "string", "cjson", "math", "KEYS", "tostring", "bit",
               "struct", "cmsgpack"]


@pytest.mark.parametrize("name", _LOAD_NAMES)
def test_function_load_sees_only_the_library_api(fresh, name):
    fresh.check("FUNCTION", "LOAD", "#!lua name=t\nlocal x = %s\nredis.register_function('t', function() return 1 end)" % name)
    fresh.check("FCALL", "t", "0")


def test_function_globals_at_call_time(fresh):
    fresh.check("FUNCTION", "LOAD", "#!lua name=t\nredis.register_function('t', function() return {type(ipairs), type(pcall), type(_G), type(redis.call), type(cjson), type(bit.band), type(math.random), tostring(rawget(_G, 'pcall') ~= nil)} end)")
    fresh.check("FCALL", "t", "0")
    fresh.check("EVAL", "return {type(redis.call), type(redis.pcall), type(cjson.encode), type(struct.pack), type(cmsgpack.pack), tostring(rawget(_G, 'pcall') ~= nil), type(cjson.null)}", "0")


def test_function_load_timeout(fresh):
    """luaEngineLoadHook: library code running more than 500 ms is stopped."""
    fresh.check("FUNCTION", "LOAD", "#!lua name=spin\nlocal i = 0 while true do i = i + 1 end")
    fresh.check("FUNCTION", "LIST")
    fresh.check("EVAL", "return 1", "0")


# ---------------------------------------------------------------------- cjson settings

# in order: the settings made by one script last for the next ones (until SCRIPT FLUSH)
CJSON_SETTINGS_SEQUENCE = [
    'local t = {} for k in pairs(cjson) do t[#t+1] = k end table.sort(t) return t',
    'return {cjson._NAME, cjson._VERSION}',
    'return {cjson.encode_sparse_array()}',
    'return {cjson.encode_sparse_array(true, 3, 5)}',
    'return cjson.encode({[1]=1,[20]=2})',
    'return cjson.encode({[1]=1,[7]=2})',
    "return {cjson.encode_sparse_array('x')}",
    'return {cjson.encode_sparse_array(nil, -1)}',
    'return {cjson.encode_sparse_array(nil, nil, -1)}',
    "return {cjson.encode_sparse_array(nil, 'x')}",
    'return {cjson.encode_sparse_array(1)}',
    "return {cjson.encode_sparse_array('off', 0)}",
    'return #cjson.encode({[1]=1,[2000]=2})',
    'return cjson.encode_max_depth(2)',
    'return cjson.encode({{{1}}})',
    'return cjson.encode({{1}})',
    'return cjson.encode_max_depth(0)',
    "return cjson.encode_max_depth('3')",
    'return cjson.encode_max_depth(2.7)',
    'return cjson.encode_max_depth(true)',
    'return cjson.encode_max_depth(1, 2)',
    'return cjson.encode_max_depth()',
    'return cjson.decode_max_depth(2)',
    "return cjson.decode('[[[1]]]')",
    'return cjson.decode(\'[["[[[[", {"a":[1]}]]\')',
    'return cjson.decode(\'{"a":{"b":1}}\').a.b',
    'return cjson.encode_number_precision(3)',
    'return cjson.encode(3.14159)',
    'return cjson.encode({[2.5]=1})',
    'return cjson.encode_number_precision(15)',
    'return cjson.encode_number_precision(1) .. cjson.encode(0.5) .. cjson.encode(123)',
    'return cjson.encode_number_precision(14)',
    'return cjson.encode_keep_buffer(false)',
    "return cjson.encode_keep_buffer('on')",
    'return cjson.encode_keep_buffer(1)',
    'return cjson.encode_invalid_numbers(true)',
    'return cjson.encode({0/0, 1/0, -1/0})',
    "return cjson.encode_invalid_numbers('null')",
    'return cjson.encode({0/0, 1/0})',
    "return cjson.encode_invalid_numbers('bad')",
    "return cjson.encode_invalid_numbers('off')",
    'return cjson.encode({0/0})',
    'return cjson.decode_invalid_numbers(false)',
    'return cjson.decode_invalid_numbers()',
    "return cjson.decode('[1]')",
    'local c = cjson.new() return {c.encode_max_depth(), c.encode(3.14159), type(c.new), c.encode_number_precision(2), c.encode(3.14159), cjson.encode(3.14159)}',
]


def test_cjson_settings_sequence(fresh):
    try:
        for body in CJSON_SETTINGS_SEQUENCE:
            fresh.check("EVAL", body, "0")
        fresh.check("SCRIPT", "FLUSH")
        fresh.check("EVAL", "return {cjson.encode_max_depth(), cjson.encode_number_precision(), cjson.encode(0.1)}", "0")
    finally:
        for conn in (fresh.oracle, fresh.mine):
            conn.call("SCRIPT", "FLUSH")


# ---------------------------------------------------------------------- cjson.decode

CJSON_DECODE_SEQUENCE = [
    'return cjson.decode_max_depth(1000)',
    "return cjson.encode(cjson.decode('[nan]'))",
    "return cjson.encode({cjson.decode('[inf, -inf]')})",
    "return cjson.decode('[0x10]')[1]",
    "return cjson.decode('[Infinity]')",
    "return cjson.decode('[NaN]')",
    "return cjson.decode('')",
    "return cjson.decode('[1,]')",
    'return cjson.decode(\'{"a":1,}\')',
    "return cjson.decode('[1 2]')",
    'return cjson.decode(\'{"a" 1}\')',
    "return cjson.decode('{1:2}')",
    'return cjson.decode(\'"abc\')',
    'return cjson.decode(\'"\\\\x"\')',
    "return cjson.decode('[1]x')",
    "return cjson.decode('tru')",
    "return cjson.decode('  ')",
    "return cjson.decode('[')",
    "return cjson.decode('{')",
    "return cjson.decode('01')",
    "return cjson.decode('1.')",
    "return cjson.decode('-')",
    'return cjson.decode(\'"\\\\u00"\')',
    'return cjson.decode(\'"\\\\ud800"\')',
    'return cjson.decode(\'"\\\\u00e9"\')',
    'return cjson.decode(\'"a\\tb"\')',
    "return cjson.decode('1e400')",
    "return cjson.decode('123456789012345678901')",
    "return cjson.decode('true')",
    "return type(cjson.decode('null'))",
    "return cjson.decode('  [1]  ')[1]",
    'return cjson.decode(\'{"a":1,"a":2}\').a',
    "return cjson.decode('[1,[2,[3]]]')[2][2][1]",
    'return cjson.encode(cjson.decode(\'{"x":[]}\'))',
    "return cjson.encode(cjson.decode('[{}]'))",
    "return cjson.decode('[1]\\0garbage')[1]",
    "return cjson.decode('\\0[1]')",
    'return cjson.decode(\'"\\\\ud800\\\\udc00"\')',
    'return cjson.decode(\'"\\\\udc00"\')',
    'return cjson.decode(\'"\\\\u0000x"\')',
    'return cjson.decode(\'"\\\\/\\\\b\\\\f\\\\n\\\\r\\\\t"\')',
    "return cjson.decode('+1')",
    "return cjson.decode('-0x10')",
    "return cjson.decode('0x1p4')",
    "return cjson.decode('.5')",
    "return cjson.decode('1e')",
    "return cjson.decode('nul')",
    "return cjson.decode('[true,false,null]')[3] == cjson.null",
    "return cjson.decode(string.rep('[', 999) .. string.rep(']', 999)) ~= nil",
    "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))",
    'return cjson.decode(123)',
    'return cjson.decode()',
    'return cjson.encode(cjson.decode(\'{"a":[1,2,{"b":null}],"c":"d"}\'))',
    'return cjson.decode_invalid_numbers(false)',
    "return cjson.decode('[0x10]')",
    "return cjson.decode('[-inf]')",
    "return cjson.decode('01')",
    "return cjson.decode('1.')",
    'return cjson.decode_invalid_numbers(true)',
    "return {redis.call('ping'), 2^63, -2^63, 1e300, -1e300}",
]


def test_cjson_decode(fresh):
    try:
        for body in CJSON_DECODE_SEQUENCE:
            fresh.check("EVAL", body, "0")
    finally:
        for conn in (fresh.oracle, fresh.mine):
            conn.call("SCRIPT", "FLUSH")


CJSON_ENCODE_SCRIPTS = [
    "return cjson.encode('h\\195\\169llo')",
    "return cjson.encode('\\0\\1\\31\\127\\128\\255')",
    "return cjson.encode({1, 'a', true, false, cjson.null})",
    'return cjson.encode({a = {b = {c = {}}}})',
    "return cjson.encode({[1] = 'a', [2] = 'b', x = 1})",
    'return cjson.encode({[1.5] = 1})',
    'return cjson.encode({[true] = 1})',
    'return cjson.encode(0.1 + 0.2)',
    'return cjson.encode(1e100)',
    'return cjson.encode(123456789012345)',
    'return cjson.encode(2^53)',
    'return cjson.encode(1/3)',
    'return cjson.encode(nil)',
    'return cjson.encode()',
    'return cjson.encode(1, 2)',
    'return cjson.encode(redis.call)',
    'return cjson.encode({f = function() end})',
    'return cjson.encode({[1] = 1, [2] = 2, [4] = 4})',
    'return cjson.encode({[1] = 1, [12] = 2})',
    'return cjson.encode({[11] = 1})',
    'return cjson.encode({[0] = 1})',
    'return cjson.encode({[-1] = 1})',
    'local t = {} t[1] = t return pcall(cjson.encode, t)',
    'local t = {} local c = t for i = 1, 1001 do c[1] = {} c = c[1] end return cjson.encode(t)',
    'local t = {} local c = t for i = 1, 998 do c[1] = {} c = c[1] end return #cjson.encode(t)',
    "return {pcall(function() return struct.pack('i', redis.call) end)}",
]


@pytest.mark.parametrize("body", CJSON_ENCODE_SCRIPTS)
def test_cjson_encode(both, body):
    both.check("EVAL", body, "0")


# library functions called straight from pcall: no position, and '?' as the name
PCALL_LIBRARY_SCRIPTS = [
    "return {pcall(cjson.decode, 'x')}",
    'return {pcall(cjson.decode)}',
    "return {pcall(struct.pack, 'i', {})}",
    "return {pcall(struct.unpack, 'i', 'a')}",
    "return {pcall(bit.band, 'x')}",
    "return {pcall(cmsgpack.unpack, '\\193')}",
    'return {pcall(cmsgpack.pack)}',
    'return {pcall(math.random, 0)}',
    'return {pcall(redis.sha1hex)}',
    "return {pcall(redis.call, 'nosuch')}",
    'return {pcall(redis.setresp, 9)}',
    "return {pcall(function() return cjson.decode('x') end)}",
    'local ok, e = pcall(cjson.encode, function() end) return e',
    'return {pcall(loadstring, 1)}',
    'return {pcall(string.rep)}',
    'return {pcall(tostring)}',
    "return {bit.band(1/0), bit.bor(0/0), bit.tobit(2^60 + 3), bit.tobit(-2^40 - 1.5), bit.tobit(2.5), bit.tobit(3.5), bit.tobit(-2.5), bit.tobit('0x10'), bit.tohex(2^53)}",
    "return bit.band('12', ' 3 ')",
]


@pytest.mark.parametrize("body", PCALL_LIBRARY_SCRIPTS)
def test_library_errors_through_pcall(both, body):
    both.check("EVAL", body, "0")


# errors of redis.call and the libraries as xpcall handlers and coroutine.resume see them
ERROR_VALUE_SCRIPTS = [
    "return {xpcall(function() redis.call('nosuch') end, function(e) return type(e) end)}",
    "return {xpcall(function() redis.call('nosuch') end, function(e) return e.err end)}",
    "return {xpcall(function() cjson.decode('x') end, function(e) return e end)}",
    "return {xpcall(function() bit.band('x') end, function(e) return e end)}",
    "local ok, e = pcall(redis.call, 'nosuch') return {type(e), tostring(e)}",
    "local ok, e = pcall(function() error({err='X'}) end) return type(e)",
    "local co = coroutine.create(function() redis.call('nosuch') end) local ok, e = coroutine.resume(co) return {tostring(ok), type(e)}",
    "local co = coroutine.create(function() cjson.decode('x') end) local ok, e = coroutine.resume(co) return {tostring(ok), e}",
    # callbacks failing inside a coroutine, a table in their arguments or partial result
    # (not struct, cjson or bit errors there: redpy names the position of the main
    # thread, Redis none)
    "local f = coroutine.wrap(function() return {pcall(redis.call, 'get', {})} end) return f()",
    "local f = coroutine.wrap(function() return {pcall(cmsgpack.unpack, '\\145\\129\\192\\1')} end) return f()",
    "local f = coroutine.wrap(function() return redis.pcall('nosuch') end) return f()",
]


@pytest.mark.parametrize("body", ERROR_VALUE_SCRIPTS)
def test_error_values_in_xpcall_and_coroutines(both, body):
    both.check("EVAL", body, "0")


# runtime errors: Redis's texts and the line they name
RUNTIME_ERROR_SCRIPTS = [
    "local a = 1\nlocal b = nil\nreturn b.x",
    "local function f()\n  error('in f')\nend\n\nf()",
    "local function f()\n  return redis.call('nosuch')\nend\nreturn f()",
    "local function f()\n  local x = redis.call('nosuch')\n  return x\nend\nreturn f()",
    "redis.call('set','notint_x','a')\nreturn redis.call('incr', 'notint_x')",
    "return redis.pcall('incr', 'notint_x')",
    "local t = setmetatable({}, {__index = function(t, k) error('idx ' .. k) end})\nreturn t.foo",
    "return ('x'):bad()",
    "local s = 'x'\nreturn s:bad()",
    "return nosuchglobal",
    "\nreturn nosuchglobal",
    "local x = {}\nx = x + 1",
    "return #nil",
    "return {}..'x'",
    "error('with level 2', 2)",
    "local function f() error('lvl2', 2) end\nf()",
    "return loadstring('error(\"inner\")')()",
    "return assert(false, 'assert msg')",
    "return assert(false)",
    "return assert(nil, {err='tbl'})",
    "return tonumber('x') + 1",
    "return string.rep()",
    "return redis.call('get', {})",
    "return redis.call('get', nil)",
    "return redis.call('get', true)",
    "return redis.call('get', 1.5e300)",
]


def test_runtime_error_lines(both):
    both.check("SET", "notint_x", "a")
    both.check("EVAL", "\n\nredis.call('incr', 'notint_x')", "0")
    for body in RUNTIME_ERROR_SCRIPTS:
        both.check("EVAL", body, "0")


# ---------------------------------------------------------------------- FUNCTION DUMP / RESTORE

_L1 = "#!lua name=l1\nredis.register_function('f1', function() return 1 end)"
_L1B = "#!lua name=l1\nredis.register_function('f1', function() return 'new' end)"
_L2 = "#!lua name=l2\nredis.register_function('f2', function() return 2 end)"
_L3 = "#!lua name=l3\nredis.register_function('f2', function() return 3 end)"


def _bulk(reply: bytes) -> bytes:
    return reply.partition(b"\r\n")[2][:-2]


def _payload(*libraries: bytes, version: int = 10, opcode: bytes = b"\xf5") -> bytes:
    from redpy.persistence.crc64 import crc64
    from redpy.persistence.rdb import enc_string

    body = b"".join(opcode + enc_string(code, False) for code in libraries) + version.to_bytes(2, "little")
    return body + crc64(0, body).to_bytes(8, "little")


def test_function_dump_restore(fresh):
    f = fresh
    empty = _bulk(f.check("FUNCTION", "DUMP"))
    f.check("FUNCTION", "LOAD", _L1)
    p1 = _bulk(f.check("FUNCTION", "DUMP"))
    for args in [
        ("FUNCTION", "RESTORE", p1),
        ("FUNCTION", "RESTORE", p1, "APPEND"),
        ("FUNCTION", "RESTORE", p1, "REPLACE"),
        ("FCALL", "f1", "0"),
        ("FUNCTION", "RESTORE", p1, "bogus"),
        ("FUNCTION", "RESTORE", p1, "flush", "x"),
        ("FUNCTION", "RESTORE", b"garbage"),
        ("FUNCTION", "RESTORE", p1[:-1] + bytes([p1[-1] ^ 1])),
        ("FUNCTION", "RESTORE", empty),
        ("FUNCTION", "LOAD", "REPLACE", _L1B),
        ("FUNCTION", "RESTORE", p1, "REPLACE"),
        ("FCALL", "f1", "0"),
        ("FUNCTION", "LOAD", _L2),
        ("FUNCTION", "FLUSH"),
        ("FUNCTION", "LOAD", _L3),
        ("FUNCTION", "RESTORE", p1, "FLUSH"),
        ("FUNCTION", "LIST"),
        ("FUNCTION", "LOAD", _L3),
        ("FUNCTION", "RESTORE", _payload(_L1.encode(), _L2.encode())),
        ("FUNCTION", "RESTORE", _payload(_L1.encode(), _L2.encode()), "REPLACE"),
        ("FUNCTION", "RESTORE", _payload(_L1.encode(), _L2.encode()), "FLUSH"),
        ("FCALL", "f2", "0"),
        ("FUNCTION", "RESTORE", _payload(b"#!lua name=bad\nreturn 1")),
        ("FUNCTION", "RESTORE", _payload(b"not a shebang")),
        ("FUNCTION", "RESTORE", _payload(b"#!lua name=bad\nredis.register_function('x', function() end) syntax error")),
        ("FUNCTION", "RESTORE", _payload(opcode=b"\xf6")),
        ("FUNCTION", "FLUSH"),
        ("FUNCTION", "RESTORE", _payload(_L1.encode(), _L1.encode())),
        ("FUNCTION", "RESTORE", _payload(_L1.encode(), _L3.encode().replace(b"f2", b"f1"))),
        ("FUNCTION", "RESTORE", _payload(_L1.encode(), version=11)),
        ("FUNCTION", "RESTORE", _payload(_L1.encode())),
        ("FUNCTION", "LIST", "WITHCODE"),
    ]:
        f.check(*args)
    f.check("SET", "k", "v")
    f.check("FUNCTION", "RESTORE", _bulk(f.oracle.call("DUMP", "k")))


def test_functions_persist_in_rdb_files_both_ways():
    """SAVE writes the libraries (RDB_OPCODE_FUNCTION2, LZF as rdbcompression says);
    each server loads the other's file."""
    import os

    from ..helpers import ServerProcess

    lib = "#!lua name=plib\nredis.register_function('pf', function() return 'persisted' end)\n-- " + "padding " * 20
    lib2 = "#!lua name=plib2\nredis.register_function{function_name='pg', callback=function() return 2 end, flags={'no-writes'}}"
    files = {}
    for kind in ("oracle", "redpy"):
        srv = ServerProcess(kind)
        try:
            c = srv.conn()
            c.call("FUNCTION", "LOAD", lib)
            c.call("SET", "k", "v")
            assert c.call("SAVE") == b"+OK\r\n"
            files[kind] = open(os.path.join(srv.dir, "dump.rdb"), "rb").read()
        finally:
            srv.stop()
    transcripts = []
    for src, dst in (("redpy", "oracle"), ("oracle", "redpy")):
        srv = ServerProcess(dst)
        try:
            c = srv.conn()
            c.call("FUNCTION", "LOAD", lib2)  # replaced by the file's libraries
            open(os.path.join(srv.dir, "dump.rdb"), "wb").write(files[src])
            transcripts.append([c.call("DEBUG", "RELOAD", "NOSAVE"), c.call("FCALL", "pf", "0"),
                                c.call("FCALL", "pg", "0"), c.call("FUNCTION", "LIST", "WITHCODE"), c.call("GET", "k")])
        finally:
            srv.stop()
    assert transcripts[0] == transcripts[1]
    assert transcripts[0][1] == b"$9\r\npersisted\r\n"

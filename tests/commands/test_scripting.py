"""EVAL / FUNCTION on redpy alone: exact reply bytes."""


def test_eval_keys_argv(r):
    assert r.call("EVAL", "return {KEYS[1], ARGV[1]}", "1", "k", "a") == b"*2\r\n$1\r\nk\r\n$1\r\na\r\n"


def test_script_db_is_restored(r):
    assert r.call("EVAL", "redis.call('select', 3) return redis.call('set', 'x', '1')", "0") == b"+OK\r\n"
    assert r.call("EXISTS", "x") == b":0\r\n"
    r.call("SELECT", "3")
    assert r.call("GET", "x") == b"$1\r\n1\r\n"
    r.call("SELECT", "0")


def test_evalsha_after_load(r):
    sha = r.call("SCRIPT", "LOAD", "return 'hi'")[5:-2]
    assert r.call("EVALSHA", sha, "0") == b"$2\r\nhi\r\n"
    r.call("SCRIPT", "FLUSH")
    assert r.call("EVALSHA", sha, "0").startswith(b"-NOSCRIPT")


def test_cjson_roundtrip(r):
    assert r.call("EVAL", "return cjson.encode(cjson.decode(ARGV[1]))", "0", '{"a":[1,2]}') == b'$11\r\n{"a":[1,2]}\r\n'

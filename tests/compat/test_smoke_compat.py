"""The first differential checks: the skeleton answers like Redis for a few basics."""


def test_ping_echo_get_set(both):
    both.check("PING")
    both.check("PING", "hello")
    both.check("ECHO", "x" * 2000)
    both.check("SET", "k", "v")
    both.check("GET", "k")
    both.check("GET", "missing")
    both.check("INCR", "n")
    both.check("INCRBY", "n", "-9223372036854775807")
    both.check("DECR", "n")
    both.check("DECR", "n")


def test_unknown_and_arity_errors(both):
    both.check("NOSUCHCOMMAND", "a" * 200, "b")
    both.check("GET")
    both.check("GET", "a", "b")
    both.check("CONFIG")
    both.check("CONFIG", "NOSUCH")


def test_protocol_errors_close_the_connection(both):
    both.check_raw(b"*1\r\n+PING\r\n")


def test_inline_and_pipelined_requests(both):
    both.check_raw(b"PING\r\n\r\n*1\r\n$4\r\nPINGxx*-1\r\nECHO \"a\\x41\\n\" 'b'\r\n")

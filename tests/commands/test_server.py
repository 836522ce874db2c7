"""Server commands on redpy alone: MONITOR lines, CONFIG effects, DEBUG gate, SHUTDOWN."""

from __future__ import annotations

import re
import time

from tests.helpers import ServerProcess


def test_monitor_lines(redpy_server):
    mon = redpy_server.conn()
    assert mon.call("MONITOR") == b"+OK\r\n"
    c = redpy_server.conn()
    c.call("SET", "k", 'a "q"\n\x01')
    c.call("CONFIG", "GET", "hz")  # admin: not shown
    c.call("SELECT", "2")
    c.call("GET", "k")
    line1 = mon.read_reply()
    assert re.fullmatch(rb'\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "k" "a \\"q\\"\\n\\x01"\r\n', line1), line1
    line2 = mon.read_reply()
    # 7.0 feeds monitors after the command ran: SELECT already shows the new db (oracle-checked)
    assert re.fullmatch(rb"\+\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] \"SELECT\" \"2\"\r\n", line2), line2
    line3 = mon.read_reply()
    assert re.fullmatch(rb'\+\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "GET" "k"\r\n', line3), line3
    c.call("SELECT", "0")
    mon.close()
    c.close()


def test_config_set_maxclients_takes_effect():
    srv = ServerProcess("redpy")
    try:
        a = srv.conn()
        assert a.call("CONFIG", "SET", "maxclients", "1") == b"+OK\r\n"
        b = srv.conn()
        assert b.read_available(0.5).startswith(b"-ERR max number of clients reached")
        assert a.call("CONFIG", "SET", "maxclients", "100") == b"+OK\r\n"
    finally:
        srv.stop()


def test_config_set_timeout_closes_idle_client():
    srv = ServerProcess("redpy")
    try:
        a = srv.conn()
        assert a.call("CONFIG", "SET", "timeout", "1") == b"+OK\r\n"
        b = srv.conn()
        assert b.call("PING") == b"+PONG\r\n"
        time.sleep(2.5)
        assert b.read_available(0.3) == b"<CLOSED>"
    finally:
        srv.stop()


def test_debug_disabled():
    srv = ServerProcess("redpy", "--enable-debug-command", "no")
    try:
        c = srv.conn()
        assert c.call("DEBUG", "DIGEST") == (
            b'-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
            b"you can run it from a local connection, otherwise you need to set this option in the "
            b"configuration file, and then restart the server.\r\n"
        )
    finally:
        srv.stop()


def test_shutdown_no_reply_and_exit():
    srv = ServerProcess("redpy")
    try:
        c = srv.conn()
        c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
        assert c.read_available(2.0) == b"<CLOSED>"
        srv.proc.wait(10)
        assert srv.proc.returncode == 0
    finally:
        srv.stop()


def test_info_counts(r):
    r.call("CONFIG", "RESETSTAT")
    r.call("SET", "a", "1")
    r.call("SET", "b", "2", "PX", "100000")
    info = r.call("INFO", "keyspace", "stats", "clients")
    assert re.search(rb"db0:keys=2,expires=1,avg_ttl=\d+\r\n", info)
    assert re.search(rb"total_commands_processed:3\r\n", info)
    assert re.search(rb"connected_clients:\d+\r\n", info)
    assert b"redis_version:7.0.15" in r.call("INFO", "server")



def test_total_commands_processed_inside_a_pipeline(r):
    """The fast path counts its calls per read, but a command later in the same read
    (INFO) sees the ones before it; refused commands do not count (call() counts)."""
    r.call("CONFIG", "RESETSTAT")
    r.send_raw(
        b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
        b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
        b"*1\r\n$3\r\nGET\r\n"  # wrong arity: refused
        b"*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n"
        b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"
        b"*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n"
    )
    replies = [r.read_reply() for _ in range(6)]
    assert re.search(rb"total_commands_processed:3\r\n", replies[3])  # RESETSTAT, SET, GET
    assert re.search(rb"total_commands_processed:5\r\n", replies[5])  # + INFO, INCR
    assert re.search(rb"total_commands_processed:6\r\n", r.call("INFO", "stats"))

def test_latency_events_recorded(r):
    """Needs the dispatch hook (latency_add_sample_if_needed) to record 'command'."""
    from redpy.commands.server import latency_add_sample

    class S:
        pass

    s = S()
    latency_add_sample(s, "command", 5)
    latency_add_sample(s, "command", 9)
    ev = s.latency_events["command"]
    assert ev.max == 9 and ev.samples[-1][1] == 9 and len(ev.samples) == 1

"""The AOF's formats without a server: manifest parsing/printing, the command reader."""

from __future__ import annotations

import pytest

from redpy.persistence.aof import AofError, Manifest, _Format, _Truncated, encode_argv, parse_commands, parse_manifest


def test_manifest_round_trip():
    text = (b"file appendonly.aof.3.base.rdb seq 3 type b\n"
            b"file appendonly.aof.2.incr.aof seq 2 type h\n"
            b"file appendonly.aof.3.incr.aof seq 3 type i\n"
            b"file appendonly.aof.4.incr.aof seq 4 type i\n")
    m = parse_manifest(text)
    assert m.base == ("appendonly.aof.3.base.rdb", 3, "b")
    assert m.history == ["appendonly.aof.2.incr.aof"]
    assert m.incrs == [("appendonly.aof.3.incr.aof", 3), ("appendonly.aof.4.incr.aof", 4)]
    assert m.curr_incr_seq == 4
    assert m.text() == text


def test_manifest_quotes_odd_names_and_skips_comments():
    m = Manifest()
    m.base = ("my file.aof", 1, "b")
    m.curr_base_seq = 1
    assert m.text() == b'file "my file.aof" seq 1 type b\n'
    again = parse_manifest(b"# comment\n" + m.text())
    assert again.base == ("my file.aof", 1, "b")


@pytest.mark.parametrize("text, message", [
    (b"", "Found an empty AOF manifest"),
    (b"file a seq 1\n", "Invalid AOF manifest file format"),
    (b"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"),
    (b"file a seq 2 type i\nfile b seq 1 type i\n", "Found a non-monotonic sequence number"),
    (b"file a seq 1 type x\n", "Unknown AOF file type"),
    (b"file dir/a seq 1 type b\n", "File can't be a path, just a filename"),
])
def test_manifest_errors(text, message):
    with pytest.raises(AofError, match=message):
        parse_manifest(text)


def test_parse_commands_and_annotations():
    data = b"#TS:1700000000\r\n" + encode_argv([b"SET", b"k", b"v\r\nx"]) + encode_argv([b"DEL", b"k"])
    got = [argv for _, _, argv in parse_commands(data)]
    assert got == [None, [b"SET", b"k", b"v\r\nx"], [b"DEL", b"k"]]


def test_parse_commands_truncated_and_bad():
    good = encode_argv([b"SET", b"a", b"1"])
    for cut in range(1, len(good)):
        with pytest.raises(_Truncated) as e:
            list(parse_commands(good + good[:cut]))
        assert e.value.valid_up_to == len(good)
    with pytest.raises(_Format):
        list(parse_commands(good + b"!x\r\n"))
    with pytest.raises(_Format):
        list(parse_commands(b"*1\r\n?3\r\nabc\r\n"))

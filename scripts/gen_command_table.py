#!/usr/bin/env python3
"""Generate src/redpy/data/commands.json from a live Redis 7.0.15 (the oracle).

    python3 scripts/gen_command_table.py HOST PORT [--check ../shared/redis-commands-7.0.json]

It reads COMMAND and COMMAND DOCS over RESP3 and keeps every reply *typed* (simple
string, bulk, set, map, ...), so that redpy re-encodes COMMAND INFO / COMMAND DOCS
byte for byte in both protocols. Subcommands are flattened to "container|sub" entries;
`order` keeps the oracle's order, which COMMAND and a container's subcommand list follow.
With --check, arity/flags/ACL categories/key positions are compared with the project's
reference table and any difference stops the script.

Typed JSON: int and null as themselves; {"s": text} simple string, {"b": text} bulk
(latin-1), {"a": [...]} array, {"set": [...]} set, {"m": [[k, v], ...]} map,
{"d": float} double.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "redpy" / "data" / "commands.json"


class Reader:
    def __init__(self, sock: socket.socket):
        self.f = sock.makefile("rb")

    def line(self) -> bytes:
        return self.f.readline()[:-2]

    def read(self):
        line = self.line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return {"s": rest.decode("latin-1")}
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return {"b": data.decode("latin-1")}
        if t == b"_":
            return None
        if t == b",":
            return {"d": float(rest)}
        if t in (b"*", b"~", b">"):
            items = [self.read() for _ in range(int(rest))]
            return {"a": items} if t == b"*" else {"set": items}
        if t == b"%":
            n = int(rest)
            return {"m": [[self.read(), self.read()] for _ in range(n)]}
        raise RuntimeError(f"unexpected reply type {line!r}")


def command(sock: socket.socket, reader: Reader, *args: str):
    req = b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%b\r\n" % (len(a.encode()), a.encode()) for a in args
    )
    sock.sendall(req)
    return reader.read()


def text(v) -> str:
    return v.get("b") or v.get("s")


def flatten_info(entry, info: dict, order: list):
    """COMMAND INFO entry -> info[name]; its subcommands become entries of their own."""
    items = entry["a"]
    name = text(items[0])
    # RESP3 sends the subcommand list as a set: keep its type, empty it.
    kind = next(iter(items[9]))
    subs = items[9][kind]
    info[name] = {"a": items[:9] + [{kind: []}]}
    order.append(name)
    for sub in subs:
        flatten_info(sub, info, order)


def flatten_docs(name: str, doc, docs: dict):
    pairs = doc["m"]
    kept = []
    for k, v in pairs:
        if text(k) == "subcommands":
            for sk, sv in v["m"]:
                flatten_docs(text(sk), sv, docs)
        else:
            kept.append([k, v])
    docs[name] = {"m": kept}


def check(info: dict, reference: Path) -> list[str]:
    ref = json.loads(reference.read_text())
    problems = []
    for c in ref["commands"]:
        if c["mode"] != "server":
            continue
        mine = info.get(c["name"])
        if mine is None:
            problems.append(f"{c['name']}: missing")
            continue
        a = mine["a"]
        got = (
            a[1],
            sorted(text(x) for x in a[2]["set"]),
            (a[3], a[4], a[5]),
            sorted(text(x) for x in a[6]["set"]),
        )
        want = (
            c["arity"],
            sorted(c["flags"]),
            (c["first_key"], c["last_key"], c["step"]),
            sorted(c["acl_categories"]),
        )
        if got != want:
            problems.append(f"{c['name']}: {got} != {want}")
    return problems


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.create_connection((host, port))
    reader = Reader(sock)
    command(sock, reader, "HELLO", "3")
    info: dict = {}
    order: list = []
    for entry in command(sock, reader, "COMMAND")["a"]:
        flatten_info(entry, info, order)
    docs: dict = {}
    for k, v in command(sock, reader, "COMMAND", "DOCS")["m"]:
        flatten_docs(text(k), v, docs)
    if "--check" in sys.argv:
        problems = check(info, Path(sys.argv[sys.argv.index("--check") + 1]))
        if problems:
            print("\n".join(problems))
            return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {"source": "redis-server 7.0.15", "order": order, "info": info, "docs": docs},
            separators=(",", ":"),
        )
    )
    print(f"{len(order)} entries written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

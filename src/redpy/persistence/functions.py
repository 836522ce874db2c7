"""Function libraries in the RDB and in FUNCTION DUMP / FUNCTION RESTORE (Redis 7.0.15).

Each library is stored as the opcode RDB_OPCODE_FUNCTION2 (0xF5) followed by its whole
code (shebang included) as an RDB string. Loading also accepts the 7.0-rc format
RDB_OPCODE_FUNCTION (0xF6: name, engine, has-description flag, [description,] code),
turned into "#!<engine> name=<name>\\n<code>" as rdbFunctionLoad does.

FUNCTION DUMP is those records followed by the RDB version (2 bytes LE) and the CRC64
of everything before (8 bytes LE), like DUMP. FUNCTION RESTORE compiles every library of
the payload into a fresh set (a library twice in the payload, or two of its functions
with one name, fail as FUNCTION LOAD would), then FLUSH replaces the current libraries
with them, APPEND fails on a library name that exists ("Library x already exists"),
REPLACE swaps such libraries; either then fails on a function name that another
current library holds, and nothing changes on failure (libraryJoin).

The libraries are compiled by the Engine's own FUNCTION LOAD path (`load_library`)
against a temporary, empty library table, so this module needs nothing new from the
engine.
"""

from __future__ import annotations

from ..errors import CommandError
from .crc64 import crc64
from .rdb import OP_FUNCTION, OP_FUNCTION2, RDB_VERSION, RdbError, Reader, enc_string


def libraries(server) -> list:
    """The current libraries (none while the Lua engine was never started)."""
    eng = getattr(server, "lua_engine", None)
    if eng is None:
        return []
    return list(eng.libraries.values())


def function_records(server, compress: bool) -> bytes:
    """rdbSaveFunctions: one 0xF5 record per library."""
    return b"".join(b"\xf5" + enc_string(lib.code, compress) for lib in libraries(server))


def dump_payload(server) -> bytes:
    """FUNCTION DUMP."""
    body = function_records(server, server.config.rdbcompression) + RDB_VERSION.to_bytes(2, "little")
    return body + crc64(0, body).to_bytes(8, "little")


def read_library(r: Reader, opcode: int) -> bytes:
    """rdbFunctionLoad's reading part: the library code; RdbError with Redis's text."""
    if opcode == OP_FUNCTION2:
        try:
            return r.string()
        except RdbError:
            raise RdbError("Failed loading library payload", r.pos) from None
    steps = ["Failed loading library name", "Failed loading engine name"]
    parts = []
    for what in steps:
        try:
            parts.append(r.string())
        except RdbError:
            raise RdbError(what, r.pos) from None
    try:
        has_desc = r.length()
    except RdbError:
        raise RdbError("Failed loading library description indicator", r.pos) from None
    if has_desc:
        try:
            r.string()
        except RdbError:
            raise RdbError("Failed loading library description", r.pos) from None
    try:
        blob = r.string()
    except RdbError:
        raise RdbError("Failed loading library blob", r.pos) from None
    name, engine_name = parts
    return b"#!%b name=%b\n%b" % (engine_name, name, blob)


class Compiler:
    """Compiles libraries into a fresh table (Redis's temporary functionsLibCtx)."""

    def __init__(self, server):
        from ..scripting import engine

        self.eng = engine(server)
        self.libraries: dict = {}
        self.functions: dict = {}

    def add(self, code: bytes, replace: bool = False) -> None:
        """Compile one library; CommandError as FUNCTION LOAD answers it."""
        eng = self.eng
        saved = eng.libraries, eng.functions
        eng.libraries, eng.functions = self.libraries, self.functions
        try:
            eng.load_library(code, replace)
        finally:
            self.libraries, self.functions = eng.libraries, eng.functions
            eng.libraries, eng.functions = saved


def join(server, new_libs: dict, replace: bool) -> None:
    """libraryJoin: add the compiled libraries to the current ones, all or nothing."""
    from ..scripting import engine

    eng = engine(server)
    removed = []
    try:
        for name in new_libs:
            old = eng.libraries.get(name)
            if old is not None:
                if not replace:
                    raise CommandError(b"ERR Library %b already exists" % name)
                eng._remove_library(old)
                removed.append(old)
        for lib in new_libs.values():
            for fname in lib.functions:
                if fname in eng.functions:
                    raise CommandError(b"ERR Function %b already exists" % fname)
    except CommandError:
        for old in removed:
            eng._add_library(old)
        raise
    for lib in new_libs.values():
        eng._add_library(lib)


def replace_all(server, new_libs: dict) -> None:
    """FUNCTION RESTORE ... FLUSH: the payload's libraries become the only ones."""
    from ..scripting import engine

    eng = engine(server)
    eng.flush_functions()
    for lib in new_libs.values():
        eng._add_library(lib)


def restore(server, payload: bytes, policy: str) -> None:
    """FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]; CommandError on failure."""
    n = len(payload)
    ok = n >= 10 and int.from_bytes(payload[n - 10 : n - 8], "little") <= RDB_VERSION
    if ok and not getattr(server.config, "skip_checksum_validation", False):
        ok = crc64(0, memoryview(payload)[: n - 8]) == int.from_bytes(payload[n - 8 :], "little")
    if not ok:
        raise CommandError("ERR DUMP payload version or checksum are wrong")
    comp = Compiler(server)
    r = Reader(payload, 0, n)
    while n - r.pos > 10:
        t = r.byte()
        if t not in (OP_FUNCTION, OP_FUNCTION2):
            raise CommandError("ERR given type is not a function")
        try:
            code = read_library(r, t)
        except RdbError as e:
            raise CommandError("ERR " + e.message) from None
        comp.add(code)
    if policy == "flush":
        replace_all(server, comp.libraries)
    else:
        join(server, comp.libraries, policy == "replace")
    server.dirty += 1

"""Scripting commands: EVAL, EVALSHA, their _RO forms, SCRIPT, FCALL, FCALL_RO, FUNCTION.

The Lua engine (VM, sandbox, conversions) lives in redpy/scripting.py; these handlers
parse arguments and pick the script or function.

Not implemented (answers like an unknown subcommand): SCRIPT DEBUG (the Lua debugger).
Function libraries are saved in RDB files and loaded from them (persistence/rdb.py).

SCRIPT KILL, FUNCTION KILL and FUNCTION STATS's running_script only see a script while
it runs past busy-reply-threshold: then the engine serves the other clients from its
count hook (see redpy/busy.py) and these commands, flagged allow-busy, run meanwhile.
"""

from __future__ import annotations

import time

from ..errors import BUSY_EVAL, NOT_INTEGER, OOM, CommandError
from ..glob import match as glob_match
from ..numbers import string2ll
from ..registry import command_group
from ..replies import OK, SetReply, Simple
from ..scripting import engine, parse_eval_shebang, sha1hex

command = command_group("scripting")

NOTBUSY = "NOTBUSY No scripts in execution right now."


def _numkeys(argv: list[bytes]) -> int:
    n = string2ll(argv[2])
    if n is None:
        raise CommandError(NOT_INTEGER)
    if n > len(argv) - 3:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    if n < 0:
        raise CommandError("ERR Number of keys can't be negative")
    return n


def _oom(server) -> bool:
    """Over maxmemory when this command started (set by processCommand's OOM check)."""
    return bool(server.config.maxmemory) and getattr(server, "pre_command_oom_state", False)


def _flags_deny_oom(flags) -> bool:
    """scriptFlagsToCmdFlags: a script with flags is denyoom unless allow-oom or no-writes."""
    return "allow-oom" not in flags and "no-writes" not in flags


def script_denyoom(server, argv: list[bytes]) -> bool:
    """Whether EVAL* / FCALL* argv counts as a denyoom command (getCommandFlags):
    scripts without a shebang keep EVAL's own flags (not denyoom); the others and
    functions take their flags. processCommand's OOM check can use it; the handlers
    below apply it themselves when the command was not rejected before."""
    eng = getattr(server, "lua_engine", None)
    name = argv[0].lower()
    if name.startswith(b"fcall"):
        f = eng.functions.get(argv[1]) if eng is not None and len(argv) > 1 else None
        return f is not None and _flags_deny_oom(f.flags)
    if len(argv) < 2:
        return False
    if name.startswith(b"evalsha"):
        if len(argv[1]) != 40 or eng is None:
            return False
        script = eng.scripts.get(argv[1].lower())
        if script is None:
            return False
        return not script.compat and _flags_deny_oom(script.flags)
    script = eng.scripts.get(sha1hex(argv[1])) if eng is not None else None
    if script is not None:
        return not script.compat and _flags_deny_oom(script.flags)
    try:
        flags, compat, _ = parse_eval_shebang(argv[1])
    except CommandError:
        return False
    return not compat and _flags_deny_oom(flags)


def _check_oom(c, argv, flags, compat: bool) -> None:
    """scriptPrepareForRun's OOM check: at top level processCommand (or the handler's
    first line) has already refused such a script, so this is reached inside EXEC."""
    if _oom(c.server) and not compat and _flags_deny_oom(flags):
        raise CommandError(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'"
        )


def _eval_generic(c, argv, evalsha: bool, ro: bool):
    """evalGenericCommand."""
    if _oom(c.server) and not c.in_exec and script_denyoom(c.server, argv):
        raise CommandError(OOM)
    numkeys = _numkeys(argv)
    eng = engine(c.server)
    if evalsha:
        sha = argv[1].lower()
        script = eng.scripts.get(sha) if len(sha) == 40 else None
        if script is None:
            raise CommandError("NOSCRIPT No matching script. Please use EVAL.")
    else:
        script = eng.create_script(argv[1])
    readonly = ro or "no-writes" in script.flags
    if ro and not script.compat and "no-writes" not in script.flags:
        raise CommandError("ERR Can not execute a script with write flag using *_ro command.")
    _check_oom(c, argv, script.flags, script.compat)
    keys = argv[3 : 3 + numkeys]
    args = argv[3 + numkeys :]
    return eng.execute(c, script.func, script.sha, readonly, keys, args, fcall=False, argv=argv,
                       flags=script.flags)


@command("eval")
def cmd_eval(c, argv):
    """EVAL script numkeys [key [key ...]] [arg [arg ...]]"""
    return _eval_generic(c, argv, evalsha=False, ro=False)


@command("evalsha")
def cmd_evalsha(c, argv):
    """EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]"""
    return _eval_generic(c, argv, evalsha=True, ro=False)


@command("eval_ro")
def cmd_eval_ro(c, argv):
    """EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]"""
    return _eval_generic(c, argv, evalsha=False, ro=True)


@command("evalsha_ro")
def cmd_evalsha_ro(c, argv):
    """EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]"""
    return _eval_generic(c, argv, evalsha=True, ro=True)


# ---------------------------------------------------------------------- SCRIPT


@command("script|load")
def cmd_script_load(c, argv):
    """SCRIPT LOAD script"""
    return engine(c.server).create_script(argv[2]).sha


@command("script|exists")
def cmd_script_exists(c, argv):
    """SCRIPT EXISTS sha1 [sha1 ...]"""
    scripts = engine(c.server).scripts
    return [1 if a.lower() in scripts else 0 for a in argv[2:]]


def _flush_mode(argv, what: str) -> None:
    if len(argv) == 3:
        if argv[2].lower() not in (b"sync", b"async"):
            raise CommandError(f"ERR {what}")
    elif len(argv) > 3:
        raise CommandError(f"ERR {what}")


@command("script|flush")
def cmd_script_flush(c, argv):
    """SCRIPT FLUSH [ASYNC | SYNC]"""
    _flush_mode(argv, "SCRIPT FLUSH only support SYNC|ASYNC option")
    engine(c.server).flush_scripts()
    return OK


@command("script|kill")
def cmd_script_kill(c, argv):
    """SCRIPT KILL

    Other clients are served while a script runs past busy-reply-threshold (from the Lua count hook, see redpy/busy.py): this kills an EVAL script that has not written yet.
    """
    eng = getattr(c.server, "lua_engine", None)
    if eng is None:
        raise CommandError(NOTBUSY)
    eng.kill(is_eval=True)
    return OK


_SCRIPT_HELP = [
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
]


@command("script|help")
def cmd_script_help(c, argv):
    """SCRIPT HELP"""
    return [Simple(s.encode()) for s in _SCRIPT_HELP]


# ---------------------------------------------------------------------- functions


def _fcall_generic(c, argv, ro: bool):
    """fcallCommandGeneric."""
    eng = engine(c.server)
    f = eng.functions.get(argv[1])
    if f is not None and _oom(c.server) and not c.in_exec and _flags_deny_oom(f.flags):
        raise CommandError(OOM)
    if f is None:
        raise CommandError("ERR Function not found")
    numkeys = _numkeys(argv)
    if ro and "no-writes" not in f.flags:
        raise CommandError("ERR Can not execute a script with write flag using *_ro command.")
    _check_oom(c, argv, f.flags, False)
    readonly = ro or "no-writes" in f.flags
    keys = argv[3 : 3 + numkeys]
    args = argv[3 + numkeys :]
    return eng.execute(c, f.func, f.name, readonly, keys, args, fcall=True, argv=argv, flags=f.flags)


@command("fcall")
def cmd_fcall(c, argv):
    """FCALL function numkeys [key [key ...]] [arg [arg ...]]"""
    return _fcall_generic(c, argv, ro=False)


@command("fcall_ro")
def cmd_fcall_ro(c, argv):
    """FCALL_RO function numkeys [key [key ...]] [arg [arg ...]]"""
    return _fcall_generic(c, argv, ro=True)


@command("function|load")
def cmd_function_load(c, argv):
    """FUNCTION LOAD [REPLACE] function-code"""
    replace = False
    i = 2
    while i < len(argv) - 1:
        if argv[i].lower() == b"replace":
            replace = True
        else:
            raise CommandError(b"ERR Unknown option given: %b" % argv[i])
        i += 1
    if i != len(argv) - 1:
        raise CommandError("ERR Function code is missing")
    name = engine(c.server).load_library(argv[i], replace)
    c.server.dirty += 1
    return name


@command("function|delete")
def cmd_function_delete(c, argv):
    """FUNCTION DELETE library-name"""
    engine(c.server).delete_library(argv[2])
    c.server.dirty += 1
    return OK


@command("function|flush")
def cmd_function_flush(c, argv):
    """FUNCTION FLUSH [ASYNC | SYNC]"""
    _flush_mode(argv, "FUNCTION FLUSH only supports SYNC|ASYNC option")
    engine(c.server).flush_functions()
    c.server.dirty += 1
    return OK


@command("function|list")
def cmd_function_list(c, argv):
    """FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]"""
    withcode = False
    pattern = None
    i = 2
    while i < len(argv):
        opt = argv[i].lower()
        if opt == b"withcode":
            if withcode:
                raise CommandError("ERR Unknown argument withcode")
            withcode = True
        elif opt == b"libraryname":
            if pattern is not None:
                raise CommandError("ERR library name argument was already given")
            if i + 1 >= len(argv):
                raise CommandError("ERR library name argument was not given")
            i += 1
            pattern = argv[i]
        else:
            raise CommandError(b"ERR Unknown argument %b" % argv[i])
        i += 1
    out = []
    for lib in engine(c.server).libraries.values():
        if pattern is not None and not glob_match(pattern, lib.name):
            continue
        funcs = [
            {
                b"name": f.name,
                b"description": f.desc,
                b"flags": SetReply(Simple(x.encode()) for x in f.flags),
            }
            for f in lib.functions.values()
        ]
        entry = {b"library_name": lib.name, b"engine": b"LUA", b"functions": funcs}
        if withcode:
            entry[b"library_code"] = lib.code
        out.append(entry)
    return out


@command("function|stats")
def cmd_function_stats(c, argv):
    """FUNCTION STATS"""
    eng = engine(c.server)
    ctx = eng.ctx
    running = None
    if ctx is not None:
        if not ctx.fcall:
            raise CommandError(BUSY_EVAL)
        running = {
            b"name": ctx.name,
            b"command": list(ctx.argv or ()),
            b"duration_ms": int((time.monotonic() - ctx.start) * 1000),
        }
    return {
        b"running_script": running,
        b"engines": {b"LUA": {b"libraries_count": len(eng.libraries), b"functions_count": len(eng.functions)}},
    }


@command("function|kill")
def cmd_function_kill(c, argv):
    """FUNCTION KILL

    Kills a function past busy-reply-threshold that has not written yet (see SCRIPT KILL).
    """
    eng = getattr(c.server, "lua_engine", None)
    if eng is None:
        raise CommandError(NOTBUSY)
    eng.kill(is_eval=False)
    return OK


_FUNCTION_HELP = [
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
]


@command("function|help")
def cmd_function_help(c, argv):
    """FUNCTION HELP"""
    return [Simple(s.encode()) for s in _FUNCTION_HELP]

"""The Lua engine behind EVAL and FUNCTION: a Lua 5.1 VM (lupa.lua51), Redis's sandbox,
the `redis` library, and the Lua <-> RESP conversions.

One `Engine` per server, created on first use (`engine(server)`), holds the VM, the script
cache (sha -> Script) and the function libraries. Everything runs synchronously inside the
calling handler, so a script is atomic like any other command.

Sandbox: the VM's global table is replaced (setfenv(0)) by an empty read-only proxy whose
__index reads the real globals and raises "Script attempted to access nonexistent global
variable" for unknown names; any assignment raises "Attempt to modify a readonly table".
The library tables (redis, string, math, ...) are proxied the same way; `pairs`/`next`
see through the proxies so scripts can still iterate them.

redis.call runs a command as the calling client would: same Client object, with the
script's db (SELECT inside a script changes only the script's db) and the script's RESP
version (redis.setresp); c.in_exec makes blocking commands answer at once. The reply value
is encoded with resp.encode for the script's protocol and parsed back into Lua values, the
way Redis converts a reply buffer (so every reply shape converts exactly once, in one place).

Long scripts: the VM's main thread has a count hook (every 100000 instructions, as
luaMaskCountHook) that calls Engine._interrupt; past busy-reply-threshold it serves the
other clients (busy.py) and raises "Script killed by user with SCRIPT KILL..." once
SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE asked for it (then at every line, so that
pcall cannot keep the script alive). A script that finishes sooner never leaves Lua.
Debug hooks are per thread: coroutine.create (and wrap) give a new coroutine its
creator's hook, as lua_newthread does for Redis's C hook, so a loop inside a coroutine
is interrupted too.

Python callbacks (redis.*, cjson, cmsgpack, struct, bit, math.random) all go through
_guard. lupa makes the Lua objects Python gets or makes while a coroutine runs on the
coroutine's lua_State and frees them through it, so none may outlive the callback (the
coroutine may be collected by then): errors go back into Lua as bytes, never as tables
(see _guard, _LuaRaise).

Over maxmemory (server.pre_command_oom_state, set by processCommand's OOM check) the
first denyoom command a script calls fails with OOM unless the script has allow-oom
(scriptVerifyOOM); commands/scripting.py refuses scripts whose flags make them denyoom.

The struct and cmsgpack libraries are lualibs.py; bit and cjson are below.

Errors follow Redis 7.0: a Lua error becomes a table {err=..., source=..., line=...} (the
error handler adds the user frame), and the reply is "-<err> script: <name>, on
<source>:<line>." for EVAL (name = the sha) and FCALL (name = the function).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import re
import struct
import sys
import time
import traceback
import types

import lupa.lua51 as lupa

from . import lualibs
from .errors import OOM, CommandError
from .replies import Raw
from .resp import encode, format_double

log = logging.getLogger("redpy")

LUA_TABLE = "table"

SCRIPT_FLAGS = ("no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys")

_PRELUDE = r"""
local real, realof, nullv = ...
local setmetatable, type, tostring, error, next, ipairs, select, unpack =
      setmetatable, type, tostring, error, next, ipairs, select, unpack
local dbg = debug
local xpcall, loadstring, setfenv = xpcall, loadstring, setfenv

-- Redis's error handler looks at level 2, or 3 when level 2 is a C function; the
-- engine's own Lua helpers (chunk "=redpy") are skipped the same way.
local function userframe(level)
  while true do
    local i = dbg.getinfo(level, "Sl")
    if not i then return nil end
    if i.what ~= "C" and i.source ~= "=redpy" then return i end
    level = level + 1
  end
end

-- where(): "user_script:N: ", the position luaL_error shows
local function where()
  -- luaL_where(L, 1): nothing when the caller is a C function (pcall(cjson.decode, s))
  local c = dbg.getinfo(3, "S")
  if c and c.what == "C" then return "" end
  local i = userframe(3)
  if not i then return "" end
  return i.short_src .. ":" .. i.currentline .. ": "
end

local function readonly()
  error(where() .. "Attempt to modify a readonly table", 0)
end

local function proxy(t)
  local p = {}
  setmetatable(p, {__index = t, __newindex = readonly, __metatable = false})
  realof[p] = t
  return p
end

local function gnext(t, k)
  return next(realof[t] or t, k)
end
local function gpairs(t)
  return gnext, t, nil
end

local function newenv(r, view)
  local function index(t, k)
    local v = r[k]
    if v == nil then
      error(where() .. "Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 0)
    end
    return v
  end
  local g = setmetatable({}, {
    __index = index,
    __newindex = readonly,
    -- getmetatable(_G) is a table in Redis too, as read-only as _G
    __metatable = proxy({__index = index, __newindex = readonly}),
  })
  r._G = g
  realof[g] = view or r
  return g
end

-- the globals a Redis 7.0 script sees (checked one by one on the oracle)
for _, name in ipairs({"loadstring", "math", "table", "string", "unpack", "gcinfo", "coroutine",
    "load", "collectgarbage", "rawget", "rawset", "pcall", "xpcall", "error", "select",
    "tostring", "tonumber", "ipairs", "type", "assert", "getmetatable",
    "setmetatable", "rawequal", "_VERSION"}) do
  real[name] = _G[name]
end
real.next = gnext
real.pairs = gpairs
for _, name in ipairs({"math", "table", "string", "coroutine"}) do
  real[name] = proxy(real[name])
end
-- Redis's tables are read-only for rawset and setmetatable too (no position: the
-- error comes from inside a C function there)
local rawset, rawsetmetatable = rawset, setmetatable
real.rawset = function(t, k, v)
  if realof[t] then error("Attempt to modify a readonly table", 0) end
  return rawset(t, k, v)
end
real.setmetatable = function(t, mt)
  if realof[t] then error("Attempt to modify a readonly table", 0) end
  return rawsetmetatable(t, mt)
end
-- the strings' metatable as scripts see it: read-only, its __index the string library
dbg.getmetatable("").__metatable = proxy({__index = real.string})

-- The Lua value of an error a Python callback raised: its message, or the table
-- {err = message} built here (the exception carries no Lua object: see _guard).
local pyunwrap
local function unwrap(e)
  local v, as_table = pyunwrap(e)
  if as_table then return {err = v} end
  return v
end
local function error_handler(err)
  if type(err) == "userdata" and err ~= nullv then err = unwrap(err) end
  local info = userframe(2)
  if type(err) ~= "table" then
    err = {err = "ERR " .. tostring(err)}
  end
  if info then
    err.source = info.source
    err.line = info.currentline
  end
  return err
end

local function run(f, ...)
  local args = {...}
  local n = select("#", ...)
  return xpcall(function() return f(unpack(args, 1, n)) end, error_handler)
end

local function compile(body, chunkname, env)
  local f, err = loadstring(body, chunkname)
  if f and env then setfenv(f, env) end
  return f, err
end

-- Python callbacks return (mark, err) to raise a Lua error: a table as it is, a string
-- with the user's position before it.
local mark = {}
local function wrap(pyf)
  return function(...)
    local a, b = pyf(...)
    if a == mark then
      if type(b) == "string" then error(where() .. b, 0) end
      error(b, 0)
    end
    return a, b
  end
end

-- pcall as Redis 7.0 wraps it: an error table raised by redis.call comes back as its
-- err string
local pcall, maxn = pcall, table.maxn
real.pcall = function(f, ...)
  local r = {pcall(f, ...)}
  if not r[1] then
    local e = r[2]
    if type(e) == "userdata" and e ~= nullv then e = unwrap(e) end
    if type(e) == "table" and type(e.err) == "string" then e = e.err end
    return false, e
  end
  return unpack(r, 1, maxn(r))
end

-- An error raised by a Python callback is a Python object until unwrapped: xpcall's
-- handler and coroutine.resume see the Lua value, as with Redis's C functions.
local function lua_error_value(e)
  if type(e) == "userdata" and e ~= nullv then return unwrap(e) end
  return e
end
real.xpcall = function(f, handler)
  return xpcall(f, function(e) return handler(lua_error_value(e)) end)
end
local resume = coroutine.resume
local coroutine_lib = realof[real.coroutine] or real.coroutine
-- Debug hooks are per thread, and debug.sethook's do not pass to new coroutines (Redis's
-- C hook does, through lua_newthread): a coroutine gets its resumer's count hook when
-- first resumed, and wrap's body sets its creator's, so that a loop inside one still
-- reaches BUSY and SCRIPT KILL. create stays C; wrap's own argument error is raised
-- here with C's text.
local gethook, sethook, getinfo, typeof = dbg.gethook, dbg.sethook, dbg.getinfo, type
local function inherit_hook(co)
  if gethook(co) == nil then
    local h, mask, count = gethook()
    if h then sethook(co, h, mask, count) end
  end
end
coroutine_lib.resume = function(co, ...)
  if typeof(co) == "thread" then inherit_hook(co) end
  local r = {resume(co, ...)}
  if not r[1] then return false, lua_error_value(r[2]) end
  return unpack(r, 1, maxn(r))
end
local wrap = coroutine.wrap
coroutine_lib.wrap = function(f)
  if typeof(f) ~= "function" or getinfo(f, "S").what == "C" then
    error("bad argument #1 to 'wrap' (Lua function expected)", 2)
  end
  local h, mask, count = gethook()
  if not h then return wrap(f) end
  return wrap(function(...)
    sethook(h, mask, count)
    return f(...)
  end)
end

local G = newenv(real)
real.__redis__err__handler = error_handler
-- code loaded by a script runs in the sandbox too
local load = load
real.loadstring = function(s, name)
  local f, e = loadstring(s, name)
  if f then setfenv(f, G) end
  return f, e
end
real.load = function(fn, name)
  local f, e = load(fn, name)
  if f then setfenv(f, G) end
  return f, e
end
local function set_unwrap(f) pyunwrap = f end

-- luaMaskCountHook: every 100000 instructions ask the engine whether the script was
-- killed (the engine serves the other clients once busy-reply-threshold is past);
-- once killed, the hook runs at every line so that pcall cannot keep the script alive.
local interrupt
local sethook = dbg.sethook
local function hook()
  local msg = interrupt()
  if msg then
    sethook(hook, "l")
    error({err = msg}, 0)
  end
end
local function set_hook(f)
  interrupt = f
  sethook(hook, "", 100000)
end
local function reset_hook(on, count)
  if on then sethook(hook, "", count or 100000) else sethook() end
end
-- Python callbacks stay userdata (a Lua wrapper would turn `return redis.call(...)`
-- into a tail call that hides the user's line); type() calls them functions, as
-- Redis's C functions are.
local pyfuncs = {}
local rawtype = type
real.type = function(v)
  if pyfuncs[v] then return "function" end
  return rawtype(v)
end
local function luafn(t)
  for _, v in next, t do
    if rawtype(v) == "userdata" and v ~= nullv then pyfuncs[v] = true end
  end
  return t
end
local rawget = rawget
real.rawget = function(t, k) return rawget(realof[t] or t, k) end
return proxy, run, compile, G, wrap, mark, newenv, where, set_unwrap, set_hook, reset_hook, luafn
"""

_LIB_LUA = r"""
local redis, pycall, real = ...
local error = error
redis.error_reply = function(msg)
  if type(msg) ~= "string" then return {err = "ERR wrong number or type of arguments"} end
  if msg:sub(1, 1) ~= "-" then msg = "-" .. msg end
  local sp = msg:find(" ", 1, true)
  local code, text
  if sp then code, text = msg:sub(2, sp - 1), msg:sub(sp + 1) else code, text = "ERR", msg:sub(2) end
  text = text:gsub("^[\r\n]+", ""):gsub("[\r\n]+$", "")
  return {err = code .. " " .. text}
end
redis.status_reply = function(msg)
  if type(msg) ~= "string" then return {err = "ERR wrong number or type of arguments"} end
  return {ok = msg}
end
"""


class Script:
    __slots__ = ("sha", "body", "func", "flags", "compat")

    def __init__(self, sha, body, func, flags, compat):
        self.sha = sha
        self.body = body
        self.func = func
        self.flags = flags
        self.compat = compat


class Function:
    __slots__ = ("name", "func", "desc", "flags", "lib")

    def __init__(self, name, func, desc, flags, lib):
        self.name = name
        self.func = func
        self.desc = desc
        self.flags = flags
        self.lib = lib


class Library:
    __slots__ = ("name", "code", "functions")

    def __init__(self, name, code):
        self.name = name
        self.code = code
        self.functions: dict[bytes, Function] = {}


class RunCtx:
    """The state of the running script (Redis's scriptRunCtx).

    `write_dirty` is set once the script calls a write command (SCRIPT_WRITE_DIRTY: it
    can no longer be killed, and the OOM check no longer applies); `timedout` once it ran
    past busy-reply-threshold (busy.py serves the other clients), `killed` by SCRIPT KILL /
    FUNCTION KILL, `shutdown` by SHUTDOWN NOSAVE meanwhile.
    """

    __slots__ = ("c", "resp", "readonly", "name", "fcall", "argv", "start", "flags",
                 "write_dirty", "timedout", "killed", "shutdown")

    def __init__(self, c, readonly, name, fcall=False, argv=None, flags=()):
        self.c = c
        self.resp = 2
        self.readonly = readonly
        self.name = name
        self.fcall = fcall
        self.argv = argv
        self.flags = flags
        self.start = time.monotonic()
        self.write_dirty = False
        self.timedout = False
        self.killed = False
        self.shutdown = False


def sha1hex(data: bytes) -> bytes:
    return hashlib.sha1(data).hexdigest().encode()


def engine(server) -> "Engine":
    eng = getattr(server, "lua_engine", None)
    if eng is None:
        eng = server.lua_engine = Engine(server)
    return eng


def _deny_attr(obj, name, setting):
    raise AttributeError("not allowed from Lua")


class Engine:
    def __init__(self, server):
        self.server = server
        self.scripts: dict[bytes, Script] = {}
        self.libraries: dict[bytes, Library] = {}
        self.functions: dict[bytes, Function] = {}
        self.ctx: RunCtx | None = None
        self._new_vm()

    # ------------------------------------------------------------------ the VM

    def _new_vm(self) -> None:
        lua = self.lua = lupa.LuaRuntime(
            encoding=None, register_eval=False, register_builtins=False,
            unpack_returned_tuples=True, attribute_filter=_deny_attr,
        )
        lua.execute("python = nil")
        self.real = lua.table()
        realof = lua.eval("setmetatable({}, {__mode = 'k'})")
        self.null = lua.eval("newproxy(false)")
        self.rawequal = lua.eval("rawequal")
        prelude = lua.eval("loadstring")(_PRELUDE.encode(), b"=redpy")(self.real, realof, self.null)
        (self.proxy, self.run, self.compile, self.G, self.wrap, self.mark, newenv, self.where,
         set_unwrap, set_hook, self.reset_hook, self.luafn) = prelude
        set_unwrap(_guard(_unwrap))
        set_hook(_guard(self._interrupt))
        self.hooked = True  # as Redis, no hook while busy-reply-threshold is 0
        real = self.real
        real[b"redis"] = self.proxy(self._lua_functions(self._redis_lib(full=True)))
        # cjson's settings last until SCRIPT FLUSH (Redis makes a new VM); functions
        # have their own (their own VM in Redis)
        self.cjson_cfg = CjsonConfig()
        real[b"cjson"] = self.proxy(self._cjson_table(self.cjson_cfg))
        real[b"bit"] = self.proxy(self._table({
            name.encode(): getattr(self, "_bit_" + name) for name in _BIT_NAMES}))
        # math.random / randomseed are Redis's (redisLrand48), one sequence per server
        lmath = lua.globals()[b"math"]
        lmath[b"random"] = _guard(self._math_random)
        lmath[b"randomseed"] = _guard(self._math_randomseed)
        self.luafn(lmath)
        real[b"struct"] = self.proxy(self._table({
            b"pack": self._lib(lualibs.struct_pack),
            b"unpack": self._lib(lualibs.struct_unpack),
            b"size": self._lib(lualibs.struct_size)}))
        new_table = lua.table
        real[b"cmsgpack"] = self.proxy(self._table({
            b"pack": self._lib(lualibs.msgpack_pack),
            b"unpack": self._lib(lambda a: lualibs.msgpack_unpack(a, new_table)),
            b"unpack_one": self._lib(lambda a: lualibs.msgpack_unpack_one(a, new_table)),
            b"unpack_limit": self._lib(lambda a: lualibs.msgpack_unpack_limit(a, new_table)),
            b"_NAME": b"cmsgpack",
            b"_VERSION": b"lua-cmsgpack 0.4.0",
            b"_COPYRIGHT": b"Copyright (C) 2012, Salvatore Sanfilippo",
            b"_DESCRIPTION": b"MessagePack C implementation for Lua"}))
        # Functions have their own globals, like EVAL's. While FUNCTION LOAD runs the
        # library code they hold only `redis`, the table with register_function, log and
        # the version (Redis's LIBRARY_API); once loading is done the globals lookup goes
        # to the full set again, `redis` with call/pcall (the closures see the switch:
        # they share the environment).
        fn_real = lua.table()
        for k, v in real.items():
            fn_real[k] = v
        # missing fields of this table raise like missing globals (as in Redis)
        self.load_redis = newenv(self._lua_functions(self._redis_lib(full=False)))
        load_api = lua.table()
        load_api[b"redis"] = self.load_redis
        self.load_api = load_api
        self.fn_real = fn_real
        switch = lua.table()
        self.load_switch = lua.table()
        self.load_switch[b"__index"] = fn_real
        lua.eval("setmetatable")(switch, self.load_switch)
        self.load_G = newenv(switch, fn_real)
        switch[b"_G"] = None  # no _G while loading (nor anything but `redis`)
        fn_real[b"_G"] = self.load_G
        fn_real[b"cjson"] = self.proxy(self._cjson_table(CjsonConfig()))

    def _table(self, d: dict):
        t = self.lua.table()
        for k, v in d.items():
            t[k] = _guard(v) if isinstance(v, (types.FunctionType, types.MethodType)) else v
        return self.luafn(t)

    def _lua_functions(self, t):
        """Library table t, its Python callables known to type() as functions."""
        return self.luafn(t)

    def _redis_lib(self, full: bool):
        lua = self.lua
        t = lua.table()
        t[b"LOG_DEBUG"], t[b"LOG_VERBOSE"], t[b"LOG_NOTICE"], t[b"LOG_WARNING"] = 0, 1, 2, 3
        t[b"REDIS_VERSION"] = b"7.0.15"
        t[b"REDIS_VERSION_NUM"] = 0x07000F
        t[b"log"] = _guard(self._log)
        if not full:
            t[b"register_function"] = _guard(self._register_function)
            return t
        t[b"setresp"] = _guard(self._setresp)
        t[b"REPL_ALL"], t[b"REPL_AOF"], t[b"REPL_NONE"], t[b"REPL_REPLICA"], t[b"REPL_SLAVE"] = 3, 1, 0, 2, 2
        t[b"sha1hex"] = _guard(self._sha1hex)
        t[b"set_repl"] = _guard(self._set_repl)
        t[b"replicate_commands"] = lua.eval("function() return true end")
        t[b"breakpoint"] = lua.eval("function() return false end")
        t[b"debug"] = lua.eval("function() return nil end")
        t[b"acl_check_cmd"] = _guard(self._acl_check_cmd)
        lua.eval("loadstring")(_LIB_LUA.encode(), b"=redpy")(t, None, self.real)
        t[b"call"] = _guard(self._call)
        t[b"pcall"] = _guard(self._pcall)
        return t

    def _lib(self, f):
        """A struct / cmsgpack function (lualibs.py) as a Lua function."""

        def call(*args):
            try:
                return f(args)
            except lualibs.LibError as e:
                return self._throw_pos(e.args[0])
            except lualibs.LibRaise as e:
                raise _LuaRaise(e.args[0]) from None

        return call

    # ------------------------------------------------------------------ math.random

    _rand_x = 0x1234ABCD330E  # rand.c's initial state (X2, X1, X0)

    def _lrand48(self) -> int:
        x = self._rand_x = (0x5DEECE66D * self._rand_x + 0xB) & 0xFFFFFFFFFFFF
        return x >> 17

    def _math_random(self, *args):
        """redis_math_random: Lua's math.random over redisLrand48."""
        r = (self._lrand48() % 2147483647) / 2147483647
        try:
            if not args:
                return r
            if len(args) == 1:
                u = lualibs._to_c_int(lualibs._checkinteger(args, 0, "random"))
                if u < 1:
                    raise lualibs._argerror(1, "random", "interval is empty")
                return math.floor(r * u) + 1
            if len(args) == 2:
                lo = lualibs._to_c_int(lualibs._checkinteger(args, 0, "random"))
                u = lualibs._to_c_int(lualibs._checkinteger(args, 1, "random"))
                if lo > u:
                    raise lualibs._argerror(2, "random", "interval is empty")
                return math.floor(r * (u - lo + 1)) + lo
        except lualibs.LibError as e:
            return self._throw_pos(e.args[0])
        return self._throw_pos(b"wrong number of arguments")

    def _math_randomseed(self, *args):
        try:
            seed = lualibs._to_c_int(lualibs._checkinteger(args, 0, "randomseed"))
        except lualibs.LibError as e:
            return self._throw_pos(e.args[0])
        self._rand_x = ((seed & 0xFFFFFFFF) << 16) | 0x330E
        return None

    # ------------------------------------------------------------------ redis.*

    def _sha1hex(self, *args):
        if len(args) != 1:
            return self._throw("ERR wrong number of arguments")
        s = args[0]
        if isinstance(s, (int, float)):
            s = _num_to_bytes(s)
        elif not isinstance(s, bytes):
            s = b""
        return sha1hex(s)

    def _throw(self, msg: str):
        """Raise {err=msg} in Lua (luaError of an error table)."""
        raise _LuaRaise(msg.encode(), True)

    def _throw_pos(self, msg: bytes):
        """Raise "user_script:N: msg" in Lua (luaL_error)."""
        pos = self.where()
        if not pos and msg.startswith(b"bad argument #"):
            # luaL_argerror names the function from its caller: none from C
            msg = re.sub(rb"to '[^']*'", b"to '?'", msg, count=1)
        raise _LuaRaise(pos + msg)

    def _log(self, *args):
        if len(args) < 2:
            return self._throw("ERR redis.log() requires two arguments or more.")
        level = args[0]
        if not isinstance(level, (int, float)) or isinstance(level, bool):
            return self._throw("ERR First argument must be a number (log level).")
        level = int(level)
        if not 0 <= level <= 3:
            return self._throw("ERR Invalid debug level.")
        parts = []
        for a in args[1:]:
            if isinstance(a, bytes):
                parts.append(a)
            elif isinstance(a, (int, float)) and not isinstance(a, bool):
                parts.append(_num_to_bytes(a))
        text = b" ".join(parts).decode("utf-8", "replace")
        log.log((logging.DEBUG, logging.DEBUG, logging.INFO, logging.WARNING)[level], "%s", text)
        return None

    def _setresp(self, *args):
        if len(args) != 1:
            return self._throw("ERR redis.setresp() requires one argument.")
        v = lualibs.lua_tonumber(args[0])
        v = lualibs._to_c_int(lualibs._to_integer(v)) if v is not None else 0
        if v not in (2, 3):
            return self._throw("ERR RESP version must be 2 or 3.")
        if self.ctx is not None:
            self.ctx.resp = v
        return None

    def _set_repl(self, *args):
        if self.ctx is None:
            return self._throw("ERR redis.set_repl can only be called inside a script invocation")
        if len(args) != 1:
            return self._throw("ERR redis.set_repl() requires two arguments.")
        v = lualibs.lua_tonumber(args[0])  # lua_tonumber: 0 for a non-number
        v = lualibs._to_c_int(lualibs._to_integer(v)) if v is not None else 0
        if v & ~3 or v < 0:
            return self._throw("ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
        return None

    def _acl_check_cmd(self, *args):
        from .registry import lookup

        if not args:
            return self._throw("ERR Please specify at least one argument for this redis lib call")
        argv = self._argv(args)
        if argv is None:
            return self._throw("ERR Lua redis lib command arguments must be strings or integers")
        cmd = lookup(argv)
        if cmd is None or cmd.handler is None:
            return self._throw("ERR Invalid command passed to redis.acl_check_cmd()")
        from .acl import ACL_OK

        c = self.ctx.c
        user = c.server.acl.users.get(c.user.encode("utf-8", "surrogateescape"))
        if user is None or user.unrestricted():
            return True
        return user.check(cmd.fullname, cmd.parent is not None, argv)[0] == ACL_OK

    def _argv(self, args):
        argv = []
        for a in args:
            if isinstance(a, bytes):
                argv.append(a)
            elif isinstance(a, (int, float)) and not isinstance(a, bool):
                argv.append(_num_to_bytes(a))
            else:
                return None
        return argv

    def _call(self, *args):
        ok, r = self._pycall(*args)
        if not ok:
            raise _LuaRaise(r, True)
        return r

    def _pcall(self, *args):
        ok, r = self._pycall(*args)
        return r if ok else self.lua.table_from({b"err": r})

    def _pycall(self, *args):
        """redis.call / redis.pcall: (True, reply) or (False, error message)."""
        try:
            err = self._call_checks(args)
            if isinstance(err, str):
                return False, err.encode()
            cmd, argv = err
            ctx = self.ctx
            c = ctx.c
            from . import dispatch

            saved_proto, saved_last = c.proto, c.last_cmd
            c.proto = ctx.resp
            try:
                reply = dispatch.call(c, cmd, argv)
            finally:
                c.proto = saved_proto
                c.last_cmd = saved_last
            if isinstance(reply, CommandError):
                return False, reply.message
            value, _ = self._parse(encode(reply, ctx.resp), 0)
            return True, value
        except Exception as e:  # a bug must not escape into the VM as a Python object
            log.exception("internal error in redis.call")
            _scrub(e)
            return False, b"ERR internal error"

    def _call_checks(self, args):
        from .registry import COMMANDS

        if not args:
            return "ERR Please specify at least one argument for this redis lib call"
        argv = self._argv(args)
        if argv is None:
            return "ERR Lua redis lib command arguments must be strings or integers"
        cmd = COMMANDS.get(argv[0].lower())
        if cmd is not None and cmd.subcommands is not None:
            cmd = cmd.subcommands.get(argv[1].lower()) if len(argv) > 1 else None
        if cmd is None or cmd.handler is None:
            return "ERR Unknown Redis command called from script"
        arity = cmd.arity
        if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
            return "ERR Wrong number of args calling Redis command from script"
        if cmd.noscript:
            return "ERR This Redis command is not allowed from script"
        # scriptCall's order: ACL, write allowed, OOM
        ctx = self.ctx
        c = ctx.c
        server = c.server
        if server.check_hooks:  # ACL rules apply inside scripts too
            err = server.acl.check_command(c, cmd, argv, b"lua")
            if err is not None:
                return err.message.decode("utf-8", "surrogateescape")
        if ctx.readonly and (cmd.write or cmd.may_replicate):
            return "ERR Write commands are not allowed from read-only scripts."
        if (
            cmd.denyoom
            and not ctx.write_dirty
            and "allow-oom" not in ctx.flags
            and server.config.maxmemory
            and getattr(server, "pre_command_oom_state", False)
        ):
            # scriptVerifyOOM: only the first write can be refused (no half-done script)
            return OOM
        if cmd.write:
            ctx.write_dirty = True  # the script can no longer be killed
        return cmd, argv

    # ------------------------------------------------------------------ RESP -> Lua

    def _parse(self, buf: bytes, pos: int):
        """One RESP reply at buf[pos:] as a Lua value (Redis's redisProtocolToLuaType)."""
        t = buf[pos : pos + 1]
        end = buf.index(b"\r\n", pos)
        line = buf[pos + 1 : end]
        pos = end + 2
        lua = self.lua
        if t == b"$" or t == b"=":
            n = int(line)
            if n < 0:
                return False, pos
            data = buf[pos : pos + n]
            pos += n + 2
            if t == b"=":
                fmt, _, s = data.partition(b":")
                return lua.table_from({b"verbatim_string": lua.table_from({b"format": fmt, b"string": s})}), pos
            return data, pos
        if t == b":":
            return int(line), pos
        if t == b"+":
            return lua.table_from({b"ok": line}), pos
        if t == b"-":
            return lua.table_from({b"err": line}), pos
        if t in (b"*", b">", b"~", b"%"):
            n = int(line)
            if n < 0:
                return False, pos
            tab = lua.table()
            if t == b"%":
                for _ in range(n):
                    k, pos = self._parse(buf, pos)
                    v, pos = self._parse(buf, pos)
                    tab[k] = v
                return lua.table_from({b"map": tab}), pos
            if t == b"~":
                for _ in range(n):
                    k, pos = self._parse(buf, pos)
                    tab[k] = True
                return lua.table_from({b"set": tab}), pos
            for i in range(1, n + 1):
                v, pos = self._parse(buf, pos)
                if v is not None:
                    tab[i] = v
            return tab, pos
        if t == b"_":
            return None, pos
        if t == b"#":
            return line == b"t", pos
        if t == b",":
            return lua.table_from({b"double": float(line)}), pos
        if t == b"(":
            return lua.table_from({b"big_number": line}), pos
        raise ValueError("unexpected reply type %r" % t)

    # ------------------------------------------------------------------ Lua -> RESP

    def to_resp(self, v, proto: int, resp: int, out: list) -> None:
        """luaReplyToRedisReply: append the RESP of a Lua value for the caller's protocol."""
        if isinstance(v, bytes):
            out.append(b"$%d\r\n%b\r\n" % (len(v), v))
        elif isinstance(v, bool):
            if resp == 2:
                out.append(b":1\r\n" if v else (b"_\r\n" if proto == 3 else b"$-1\r\n"))
            elif proto == 3:
                out.append(b"#t\r\n" if v else b"#f\r\n")
            else:
                out.append(b":1\r\n" if v else b":0\r\n")
        elif isinstance(v, (int, float)):
            out.append(b":%d\r\n" % _truncate(v))
        elif lupa.lua_type(v) == LUA_TABLE:
            self._table_to_resp(v, proto, resp, out)
        else:
            out.append(b"_\r\n" if proto == 3 else b"$-1\r\n")

    def _table_to_resp(self, t, proto, resp, out) -> None:
        err = t[b"err"]
        if isinstance(err, bytes):
            out.append(b"-%b\r\n" % _one_line(err))
            return
        ok = t[b"ok"]
        if isinstance(ok, bytes):
            out.append(b"+%b\r\n" % _one_line(ok))
            return
        d = t[b"double"]
        if isinstance(d, (int, float)) and not isinstance(d, bool):
            text = format_double(float(d))
            out.append(b",%b\r\n" % text if proto == 3 else b"$%d\r\n%b\r\n" % (len(text), text))
            return
        big = t[b"big_number"]
        if isinstance(big, bytes):
            big = _one_line(big)
            out.append(b"(%b\r\n" % big if proto == 3 else b"$%d\r\n%b\r\n" % (len(big), big))
            return
        m = t[b"map"]
        if lupa.lua_type(m) == LUA_TABLE:
            items = list(m.items())
            out.append(b"%%%d\r\n" % len(items) if proto == 3 else b"*%d\r\n" % (2 * len(items)))
            for k, val in items:
                self.to_resp(k, proto, resp, out)
                self.to_resp(val, proto, resp, out)
            return
        s = t[b"set"]
        if lupa.lua_type(s) == LUA_TABLE:
            keys = list(s.keys())
            out.append(b"~%d\r\n" % len(keys) if proto == 3 else b"*%d\r\n" % len(keys))
            for k in keys:
                self.to_resp(k, proto, resp, out)
            return
        vs = t[b"verbatim_string"]
        if lupa.lua_type(vs) == LUA_TABLE:
            fmt, s = vs[b"format"], vs[b"string"]
            if isinstance(fmt, bytes) and isinstance(s, bytes):
                if proto == 3:
                    out.append(b"=%d\r\n%b:%b\r\n" % (len(s) + 4, fmt[:3], s))
                else:
                    out.append(b"$%d\r\n%b\r\n" % (len(s), s))
                return
        items = []
        i = 1
        while True:
            v = t[i]
            if v is None:
                break
            items.append(v)
            i += 1
        out.append(b"*%d\r\n" % len(items))
        for v in items:
            self.to_resp(v, proto, resp, out)

    # ------------------------------------------------------------------ running

    def execute(self, c, func, name: bytes, readonly: bool, keys, args, fcall: bool,
                argv=None, flags=()):
        """Run a compiled script or function for client c; return its reply (Raw)."""
        lua = self.lua
        keys_t = lua.table_from(keys)
        args_t = lua.table_from(args)
        real = self.real
        if not fcall:
            real[b"KEYS"] = keys_t
            real[b"ARGV"] = args_t
        if (self.server.config.busy_reply_threshold > 0) is not self.hooked:
            self.hooked = not self.hooked
            self.reset_hook(self.hooked)
        ctx = self.ctx = RunCtx(c, readonly, name, fcall, argv, flags)
        saved_db, saved_exec, saved_last = c.db, c.in_exec, c.last_cmd
        c.in_exec = True  # blocking commands answer at once (blocking.deny_blocking)
        try:
            if fcall:
                result = self.run(func, keys_t, args_t)
            else:
                result = self.run(func)
        finally:
            c.db, c.in_exec, c.last_cmd = saved_db, saved_exec, saved_last
            self.ctx = None
            if not fcall:
                real[b"KEYS"] = None
                real[b"ARGV"] = None
            if ctx.killed or ctx.timedout:
                self.reset_hook(self.hooked)
            if ctx.timedout:
                from . import busy

                busy.leave(self.server)
        if ctx.shutdown:
            # SHUTDOWN NOSAVE while the script was busy: Redis exits without replying
            c.close_after_reply = True
            from .replies import NO_REPLY

            return NO_REPLY
        ok = result[0] if isinstance(result, tuple) else result
        value = result[1] if isinstance(result, tuple) and len(result) > 1 else None
        if not ok:
            raise self._run_error(value, name)
        if lupa.lua_type(value) == LUA_TABLE and isinstance(value[b"err"], bytes):
            raise CommandError(_one_line(value[b"err"]))
        out: list[bytes] = []
        self.to_resp(value, c.proto, ctx.resp, out)
        return Raw(b"".join(out))

    def _run_error(self, err, name: bytes) -> CommandError:
        if lupa.lua_type(err) != LUA_TABLE:
            msg = err if isinstance(err, bytes) else b"execution failure"
            return CommandError(b"ERR Error running script %b, %b" % (name, msg[:100]))
        msg = err[b"err"]
        if isinstance(msg, (int, float)) and not isinstance(msg, bool):
            msg = _num_to_bytes(msg)
        if not isinstance(msg, bytes):
            msg = b""
        source, line = err[b"source"], err[b"line"]
        if isinstance(source, bytes) and line is not None:
            msg += b" script: %b, on %b:%d." % (name, source, int(line))
        return CommandError(msg)

    # ------------------------------------------------------------------ busy scripts

    def _interrupt(self):
        """scriptInterrupt, from the count hook: the error to raise when the script
        must die (False otherwise)."""
        ctx = self.ctx
        if ctx is None:
            if self._loading is not None and time.monotonic() - self._load_start > 0.5:
                return b"ERR FUNCTION LOAD timeout"  # luaEngineLoadHook
            return False
        if not ctx.timedout:
            limit = self.server.config.busy_reply_threshold
            if limit <= 0:
                return False
            elapsed = (time.monotonic() - ctx.start) * 1000
            if elapsed < limit:
                return False
            log.warning(
                "Slow script detected: still in execution after %d milliseconds. You can try "
                "killing the script using the %s command. Script name is: %s.",
                elapsed, "FUNCTION KILL" if ctx.fcall else "SCRIPT KILL", ctx.name.decode("utf-8", "replace"))
            from . import busy

            ctx.timedout = True
            busy.enter(self.server, ctx)
            # serve the others more often while busy (the script's end restores it)
            self.reset_hook(True, 10000)
        from . import busy

        busy.process_events(self.server)
        if ctx.killed:
            log.warning("Lua script killed by user with SCRIPT KILL.")
            return b"ERR Script killed by user with SCRIPT KILL..."
        return False

    def kill(self, is_eval: bool) -> None:
        """scriptKill: SCRIPT KILL (is_eval) or FUNCTION KILL from another client."""
        from .errors import BUSY_EVAL, BUSY_FUNCTION

        ctx = self.ctx
        if ctx is None:
            raise CommandError("NOTBUSY No scripts in execution right now.")
        if ctx.write_dirty:
            raise CommandError(
                "UNKILLABLE Sorry the script already executed write commands against the dataset. "
                "You can either wait the script termination or kill the server in a hard way "
                "using the SHUTDOWN NOSAVE command.")
        if is_eval and ctx.fcall:
            raise CommandError(BUSY_FUNCTION)
        if not is_eval and not ctx.fcall:
            raise CommandError(BUSY_EVAL)
        ctx.killed = True

    # ------------------------------------------------------------------ EVAL scripts

    def create_script(self, body: bytes, sha: bytes | None = None) -> Script:
        """luaCreateFunction: parse the shebang, compile, cache. CommandError on failure."""
        if sha is None:
            sha = sha1hex(body)
        script = self.scripts.get(sha)
        if script is not None:
            return script
        flags, compat, shebang_len = parse_eval_shebang(body)
        code = body
        if shebang_len:
            code = b"--" + body  # keep line numbers: the shebang becomes a comment
        func, err = self.compile(code, b"@user_script", self.G)
        if func is None:
            raise CommandError(b"ERR Error compiling script (new function): " + _lua_msg(err))
        script = self.scripts[sha] = Script(sha, body, func, flags, compat)
        return script

    def flush_scripts(self) -> None:
        """SCRIPT FLUSH: Redis recreates the Lua VM; the functions keep their own state."""
        self.scripts.clear()
        self.cjson_cfg.__init__()

    # ------------------------------------------------------------------ functions

    def _register_function(self, *args):
        lib = self._loading
        if lib is None:
            return self._throw("ERR redis.register_function can only be called on FUNCTION LOAD command")
        if len(args) == 1 and lupa.lua_type(args[0]) == LUA_TABLE:
            t = args[0]
            name = desc = func = None
            flags = []
            for k, v in t.items():
                if k == b"function_name":
                    name = v
                elif k == b"callback":
                    func = v
                elif k == b"description":
                    desc = v
                elif k == b"flags":
                    if lupa.lua_type(v) != LUA_TABLE:
                        return self._throw("ERR flags argument to redis.register_function must be a table representing function flags")
                    for _, f in v.items():
                        if not isinstance(f, bytes) or f.decode("latin-1") not in SCRIPT_FLAGS:
                            return self._throw("ERR unknown flag given")
                        flags.append(f.decode())
                else:
                    return self._throw("ERR unknown argument given to redis.register_function")
            if not isinstance(name, bytes):
                return self._throw("ERR redis.register_function must get a function name argument")
            if lupa.lua_type(func) != "function":
                return self._throw("ERR redis.register_function must get a callback argument")
            if desc is not None and not isinstance(desc, bytes):
                return self._throw("ERR description argument given to redis.register_function must be a string")
        elif len(args) == 2:
            name, func = args
            desc, flags = None, []
            if not isinstance(name, bytes):
                return self._throw("ERR first argument to redis.register_function must be a string")
            if lupa.lua_type(func) != "function":
                return self._throw("ERR second argument to redis.register_function must be a function")
        else:
            return self._throw("ERR wrong number of arguments to redis.register_function")
        if not _valid_name(name):
            return self._throw("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        if name in lib.functions:
            return self._throw("ERR Function already exists in the library")
        lib.functions[name] = Function(name, func, desc, flags, lib)
        return None

    _loading: Library | None = None
    _load_start = 0.0

    def load_library(self, code: bytes, replace: bool) -> bytes:
        name = parse_function_shebang(code)
        old = self.libraries.get(name)
        if old is not None and not replace:
            raise CommandError(b"ERR Library '%b' already exists" % name)
        lib = self.build_library(name, code)
        for fname in lib.functions:
            other = self.functions.get(fname)
            if other is not None and other.lib is not old:
                raise CommandError(b"ERR Function %b already exists" % fname)
        if old is not None:
            self._remove_library(old)
        self._add_library(lib)
        return name

    def build_library(self, name: bytes, code: bytes) -> Library:
        """Compile and run library code (its shebang already parsed): the Library with
        its registered functions, not installed. CommandError on failure."""
        lib = Library(name, code)
        func, err = self.compile(b"--" + code, b"@user_function", self.load_G)
        if func is None:
            raise CommandError(b"ERR Error compiling function: " + _lua_msg(err))
        self._loading = lib
        self._load_start = time.monotonic()
        self.load_switch[b"__index"] = self.load_api
        self.reset_hook(True)  # FUNCTION LOAD stops after 500 ms, whatever the threshold
        try:
            result = self.run(func)
        finally:
            self._loading = None
            self.load_switch[b"__index"] = self.fn_real
            self.reset_hook(self.hooked)
        ok = result[0] if isinstance(result, tuple) else result
        if not ok:
            err = result[1] if isinstance(result, tuple) else None
            msg = err[b"err"] if lupa.lua_type(err) == LUA_TABLE else err
            if not isinstance(msg, bytes):
                msg = b"execution failure"
            raise CommandError(b"ERR Error registering functions: " + msg)
        if not lib.functions:
            raise CommandError("ERR No functions registered")
        return lib

    def _add_library(self, lib: Library) -> None:
        self.libraries[lib.name] = lib
        for fname, f in lib.functions.items():
            self.functions[fname] = f

    def _remove_library(self, lib: Library) -> None:
        del self.libraries[lib.name]
        for fname in lib.functions:
            self.functions.pop(fname, None)

    def delete_library(self, name: bytes) -> None:
        lib = self.libraries.get(name)
        if lib is None:
            raise CommandError("ERR Library not found")
        self._remove_library(lib)

    def flush_functions(self) -> None:
        self.libraries.clear()
        self.functions.clear()


    # ------------------------------------------------------------------ bit

    def _bitarg(self, fname, args, i):
        raw = args[i] if i < len(args) else None
        v = lualibs.lua_tonumber(raw)  # luaL_checknumber: numbers and numeric strings
        if v is None:
            got = "no value" if i >= len(args) else lualibs.lua_typename(raw)
            raise _BitError(b"bad argument #%d to '%b' (number expected, got %b)" % (i + 1, fname, got.encode()))
        # LuaBitOp's barg: the low 32 bits of the double n + 2^52 + 2^51 (round half to
        # even modulo 2^32 for ordinary numbers; what the bits say for the others)
        return int.from_bytes(_pack_double(v + 6755399441055744.0)[:4], "little")

    def _bitop(self, fname, args, op):
        try:
            return _s32(op(args))
        except _BitError as e:
            return self._throw_pos(e.args[0])

    def _bit_tobit(self, *a):
        return self._bitop(b"tobit", a, lambda a: self._bitarg(b"tobit", a, 0))

    def _bit_bnot(self, *a):
        return self._bitop(b"bnot", a, lambda a: ~self._bitarg(b"bnot", a, 0))

    def _bit_fold(self, fname, a, f):
        def op(a):
            v = self._bitarg(fname, a, 0)
            for i in range(1, len(a)):
                v = f(v, self._bitarg(fname, a, i))
            return v
        return self._bitop(fname, a, op)

    def _bit_band(self, *a):
        return self._bit_fold(b"band", a, lambda x, y: x & y)

    def _bit_bor(self, *a):
        return self._bit_fold(b"bor", a, lambda x, y: x | y)

    def _bit_bxor(self, *a):
        return self._bit_fold(b"bxor", a, lambda x, y: x ^ y)

    def _bit_shift(self, fname, a, f):
        return self._bitop(fname, a, lambda a: f(self._bitarg(fname, a, 0), self._bitarg(fname, a, 1) & 31))

    def _bit_lshift(self, *a):
        return self._bit_shift(b"lshift", a, lambda x, n: x << n)

    def _bit_rshift(self, *a):
        return self._bit_shift(b"rshift", a, lambda x, n: x >> n)

    def _bit_arshift(self, *a):
        return self._bit_shift(b"arshift", a, lambda x, n: _s32(x) >> n)

    def _bit_rol(self, *a):
        return self._bit_shift(b"rol", a, lambda x, n: (x << n) | (x >> (32 - n)))

    def _bit_ror(self, *a):
        return self._bit_shift(b"ror", a, lambda x, n: (x >> n) | (x << (32 - n)))

    def _bit_bswap(self, *a):
        return self._bitop(b"bswap", a, lambda a: int.from_bytes(self._bitarg(b"bswap", a, 0).to_bytes(4, "little"), "big"))

    def _bit_tohex(self, *a):
        try:
            x = self._bitarg(b"tohex", a, 0)
            n = self._bitarg(b"tohex", a, 1) if len(a) > 1 and a[1] is not None else 8
        except _BitError as e:
            return self._throw_pos(e.args[0])
        n = _s32(n)
        upper = n < 0
        n = min(abs(n), 8)
        text = b"%0*x" % (n, x & ((1 << (4 * n)) - 1)) if n else b""
        return text.upper() if upper else text

    # ------------------------------------------------------------------ cjson

    def _cjson_table(self, cfg: "CjsonConfig"):
        """A cjson module table whose functions share the settings cfg (lua-cjson 2.1.0)."""

        def encode(*args):
            if len(args) != 1:
                return self._throw_pos(b"bad argument #1 to 'encode' (expected 1 argument)")
            out: list[bytes] = []
            try:
                with _deep_recursion():
                    self._json(args[0], out, 0, cfg)
            except _BitError as e:
                return self._throw_pos(e.args[0])
            return b"".join(out)

        def decode(*args):
            return self._cjson_decode(cfg, *args)

        def option(fname, body):
            def call(*args):
                try:
                    return body(fname, args)
                except lualibs.LibError as e:
                    return self._throw_pos(e.args[0])
            return call

        def sparse(fname, args):
            args = _cj_args(args, 3, fname)
            cfg.sparse_convert, convert = _cj_enum(args, 0, fname, cfg.sparse_convert)
            cfg.sparse_ratio = _cj_int(args, 1, fname, cfg.sparse_ratio, 0, 2**31 - 1)
            cfg.sparse_safe = _cj_int(args, 2, fname, cfg.sparse_safe, 0, 2**31 - 1)
            return convert, cfg.sparse_ratio, cfg.sparse_safe

        def int_setting(attr, lo, hi):
            def body(fname, args):
                args = _cj_args(args, 1, fname)
                setattr(cfg, attr, _cj_int(args, 0, fname, getattr(cfg, attr), lo, hi))
                return getattr(cfg, attr)
            return body

        def enum_setting(attr, options=("off", "on")):
            def body(fname, args):
                args = _cj_args(args, 1, fname)
                value, shown = _cj_enum(args, 0, fname, getattr(cfg, attr), options)
                setattr(cfg, attr, value)
                return shown
            return body

        t = {
            b"encode": encode,
            b"decode": decode,
            b"encode_sparse_array": option("encode_sparse_array", sparse),
            b"encode_max_depth": option("encode_max_depth", int_setting("encode_max_depth", 1, 2**31 - 1)),
            b"decode_max_depth": option("decode_max_depth", int_setting("decode_max_depth", 1, 2**31 - 1)),
            b"encode_number_precision": option("encode_number_precision", int_setting("precision", 1, 14)),
            b"encode_keep_buffer": option("encode_keep_buffer", enum_setting("keep_buffer")),
            b"encode_invalid_numbers": option("encode_invalid_numbers", enum_setting("invalid_encode", ("off", "on", "null"))),
            b"decode_invalid_numbers": option("decode_invalid_numbers", enum_setting("invalid_decode")),
            b"new": lambda *a: self._cjson_table(CjsonConfig()),
            b"null": self.null,
            b"_NAME": b"cjson",
            b"_VERSION": b"2.1.0",
        }
        return self._table(t)

    def _json(self, v, out, depth, cfg) -> None:
        if v is None:
            out.append(b"null")
        elif isinstance(v, bool):
            out.append(b"true" if v else b"false")
        elif isinstance(v, (int, float)):
            out.append(_json_number(v, cfg))
        elif isinstance(v, bytes):
            out.append(_json_string(v))
        else:
            kind = lupa.lua_type(v)
            if kind == LUA_TABLE:
                depth += 1
                if depth > cfg.encode_max_depth:
                    raise _BitError(b"Cannot serialise, excessive nesting (%d)" % depth)
                items = list(v.items())
                n = _json_array_len(items, cfg)
                if n > 0:
                    out.append(b"[")
                    for i in range(1, n + 1):
                        if i > 1:
                            out.append(b",")
                        self._json(v[i], out, depth, cfg)
                    out.append(b"]")
                    return
                out.append(b"{")
                first = True
                for k, val in items:
                    if not first:
                        out.append(b",")
                    first = False
                    if isinstance(k, bytes):
                        out.append(_json_string(k))
                    elif isinstance(k, (int, float)) and not isinstance(k, bool):
                        out.append(b'"' + _json_number(k, cfg) + b'"')
                    else:
                        raise _BitError(b"Cannot serialise %b: table key must be a number or string" % lualibs.lua_typename(k).encode())
                    out.append(b":")
                    self._json(val, out, depth, cfg)
                out.append(b"}")
            elif self.rawequal(v, self.null):
                out.append(b"null")
            else:
                raise _BitError(b"Cannot serialise %b: type not supported" % lualibs.lua_typename(v).encode())

    def _cjson_decode(self, cfg, *args):
        if len(args) != 1:
            return self._throw_pos(b"bad argument #1 to 'decode' (expected 1 argument)")
        s = args[0]
        if isinstance(s, (int, float)) and not isinstance(s, bool):
            s = _num_to_bytes(s)
        if not isinstance(s, bytes):
            return self._throw_pos(b"bad argument #1 to 'decode' (string expected, got %b)" % lualibs.lua_typename(s).encode())
        decoder = lualibs.CjsonDecoder(s, cfg.decode_max_depth, bool(cfg.invalid_decode), self.lua.table, self.null)
        try:
            with _deep_recursion():
                return decoder.decode()
        except lualibs.JsonDecodeError as e:
            return self._throw_pos(e.args[0])
        except RecursionError:
            return self._throw_pos(b"Found too many nested data structures (%d) at character %d" % (decoder.depth, decoder.pos))

# ---------------------------------------------------------------------- helpers

_NAME_RE = re.compile(rb"[A-Za-z0-9_]+\Z")


def _valid_name(name: bytes) -> bool:
    return bool(_NAME_RE.match(name))


def parse_eval_shebang(body: bytes):
    """evalExtractShebangFlags: (flags, compat, shebang length)."""
    if not body.startswith(b"#!"):
        return [], True, 0
    nl = body.find(b"\n")
    line = body if nl < 0 else body[:nl]
    parts = line.split()
    if not parts or parts[0] != b"#!lua":
        raise CommandError(b"ERR Unexpected engine in script shebang: %b" % (parts[0] if parts else line))
    flags = []
    for part in parts[1:]:
        if not part.startswith(b"flags="):
            raise CommandError(b"ERR Unknown lua shebang option: %b" % part)
        for f in part[6:].split(b","):
            if not f:
                continue
            name = f.decode("latin-1")
            if name not in SCRIPT_FLAGS:
                raise CommandError(b"ERR Unexpected flag in script shebang: %b" % f)
            flags.append(name)
    return flags, False, len(line)


def parse_function_shebang(code: bytes) -> bytes:
    """functionExtractLibMetaData: the library name from `#!lua name=<lib>`."""
    if not code.startswith(b"#!"):
        raise CommandError("ERR Missing library metadata")
    nl = code.find(b"\n")
    line = code if nl < 0 else code[:nl]
    parts = line.split()
    engine_name = parts[0][2:] if parts else b""
    name = None
    for part in parts[1:]:
        if part.startswith(b"name="):
            name = part[5:]
        else:
            raise CommandError(b"ERR Invalid metadata value given: %b" % part)
    if engine_name.upper() != b"LUA":
        raise CommandError(b"ERR Engine '%b' not found" % engine_name)
    if name is None:
        raise CommandError("ERR Library name was not given")
    if not _valid_name(name):
        raise CommandError("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
    return name


def _lua_msg(err) -> bytes:
    if isinstance(err, bytes):
        return err
    return str(err).encode()


def _one_line(b: bytes) -> bytes:
    if b"\r" in b or b"\n" in b:
        b = b.replace(b"\r", b" ").replace(b"\n", b" ")
    return b


def _truncate(v) -> int:
    """(long long) of a Lua number, as x86-64 converts: out of range gives INT64_MIN."""
    if isinstance(v, int) and -(2**63) <= v < 2**63:
        return v
    if v != v or not -9.223372036854775808e18 <= v < 9.223372036854775808e18:
        return -(2**63)
    return int(v)


def _num_to_bytes(v) -> bytes:
    """A Lua number as redis.call sends it: %.17g (integers print as integers)."""
    if isinstance(v, int):
        return b"%d" % v
    if v == int(v) and abs(v) < 1e17:
        return b"%d" % int(v)
    return b"%.17g" % v


# ---------------------------------------------------------------------- bit (LuaBitOp)

_BIT_NAMES = ("tobit", "bnot", "band", "bor", "bxor", "lshift", "rshift", "arshift",
              "rol", "ror", "bswap", "tohex")


class _LuaRaise(Exception):
    """Raised by a Python callback: the Lua error is the message args[0] (bytes), or the
    table {err = args[0]} when args[1] is true. Never a Lua object (see _guard)."""


def _unwrap(exc):
    """(message, as a table?) of the error a callback raised (prelude's unwrap)."""
    if isinstance(exc, _LuaRaise):
        return exc.args[0], len(exc.args) > 1 and exc.args[1]
    log.error("internal error in a Lua callback: %r", exc)
    return b"internal error", False


def _scrub(exc) -> None:
    """Drop the locals of the finished frames in exc's tracebacks (its context and cause
    included), so that no Lua object they hold outlives the callback."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        traceback.clear_frames(e.__traceback__)  # skips the frames still running
        e.__traceback__ = None
        todo.append(e.__context__)
        todo.append(e.__cause__)


def _guard(f):
    """f as a Lua callback. A Lua object that Python gets while a coroutine runs (an
    argument, a table made meanwhile: lupa makes it on the running coroutine's
    lua_State) keeps that lua_State, and uses it again when it is freed (luaL_unref):
    after the coroutine was collected that is freed memory. Such objects must die before
    the callback returns. The error raised into Lua is a fresh _LuaRaise holding Python
    values only, raised outside the handler (no context chain), with the frames of the
    failed call cleared: lupa keeps the last raised exception (and the Lua error value
    keeps it until Lua's GC frees it), so nothing it refers to may be a Lua object."""

    def call(*args):
        try:
            return f(*args)
        except _LuaRaise as e:
            err = e.args if e.args and isinstance(e.args[0], bytes) else (b"internal error",)
            _scrub(e)
        except Exception as e:  # a bug must not escape into the VM as a Python object
            log.error("internal error in a Lua callback: %r", e)
            err = (b"internal error",)
            _scrub(e)
        args = None  # noqa: F841 (the traceback keeps this frame and its locals)
        raise _LuaRaise(*err)

    return call


class _BitError(Exception):
    """A luaL_error raised by a library function (message without position)."""


def _pack_double(d: float) -> bytes:
    return struct.pack("<d", d)


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


@contextlib.contextmanager
def _deep_recursion():
    """cjson nests 1000 levels by default: more Python frames than the default limit."""
    old = sys.getrecursionlimit()
    if old < 5000:
        sys.setrecursionlimit(5000)
    try:
        yield
    finally:
        if old < 5000:
            sys.setrecursionlimit(old)


class CjsonConfig:
    """lua-cjson's json_config_t: what the encode_* / decode_* functions set."""

    def __init__(self):
        self.sparse_convert = 0
        self.sparse_ratio = 2
        self.sparse_safe = 10
        self.encode_max_depth = 1000
        self.decode_max_depth = 1000
        self.precision = 14
        self.keep_buffer = 1
        self.invalid_encode = 0
        self.invalid_decode = 1


def _cj_args(args, n: int, fname: str) -> list:
    """json_arg_init: at most n arguments, padded with nils."""
    if len(args) > n:
        raise lualibs._argerror(n + 1, fname, "found too many arguments")
    return list(args) + [None] * (n - len(args))


def _cj_enum(args, i: int, fname: str, current: int, options=("off", "on")):
    """json_enum_option: (new setting, what it returns: a boolean or the option name)."""
    v = args[i]
    if v is None:
        value = current
    elif isinstance(v, bool):
        value = int(v)
    else:
        name = lualibs._checklstring(args, i, fname)
        names = [o.encode() for o in options]
        if name not in names:
            raise lualibs._argerror(i + 1, fname, "invalid option '%s'" % name.decode("latin-1"))
        value = names.index(name)
    return value, (bool(value) if value in (0, 1) else options[value].encode())


def _cj_int(args, i: int, fname: str, current: int, lo: int, hi: int) -> int:
    """json_integer_option (its range error names argument #1 whatever the position)."""
    if args[i] is None:
        return current
    n = lualibs._to_c_int(lualibs._checkinteger(args, i, fname))
    if n < lo or n > hi:
        raise lualibs._argerror(1, fname, "expected integer between %d and %d" % (lo, hi))
    return n


def _json_number(v, cfg) -> bytes:
    """json_append_number: %.<precision>g; NaN and infinities by encode_invalid_numbers."""
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        if cfg.invalid_encode == 0:
            raise _BitError(b"Cannot serialise number: must not be NaN or Inf")
        if cfg.invalid_encode == 2:
            return b"null"
        return b"nan" if v != v else (b"inf" if v > 0 else b"-inf")
    if isinstance(v, int) and cfg.precision == 14 and abs(v) < 10**14:
        return b"%d" % v
    return b"%.*g" % (cfg.precision, v)


_JSON_ESCAPES = {i: b"\\u%04x" % i for i in range(32)}
_JSON_ESCAPES.update({8: b"\\b", 9: b"\\t", 10: b"\\n", 12: b"\\f", 13: b"\\r",
                      34: b'\\"', 92: b"\\\\", 47: b"\\/", 127: b"\\u007f"})
_JSON_TABLE = [_JSON_ESCAPES.get(i, bytes((i,))) for i in range(256)]


def _json_string(s: bytes) -> bytes:
    return b'"' + b"".join([_JSON_TABLE[ch] for ch in s]) + b'"'


def _json_array_len(items, cfg) -> int:
    """lua_array_length of lua-cjson: -1 for an object, else the array length."""
    if not items:
        return -1  # Redis's cjson encodes an empty table as {}
    top = 0
    for k, _ in items:
        if isinstance(k, bool) or not isinstance(k, (int, float)) or k < 1 or k != int(k):
            return -1
        top = max(top, int(k))
    if cfg.sparse_ratio > 0 and top > len(items) * cfg.sparse_ratio and top > cfg.sparse_safe:
        if not cfg.sparse_convert:
            raise _BitError(b"Cannot serialise table: excessively sparse array")
        return -1
    return top

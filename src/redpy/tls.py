"""TLS: the server SSLContext built from the tls-* parameters, as Redis's tlsConfigure does.

Redis configures TLS when tls-port, tls-replication or tls-cluster is set; a bad
configuration stops startup ("Failed to configure TLS. Check logs for more info.") and
makes CONFIG SET fail with "Unable to update TLS configuration. Check server logs.".
The checks and the log lines follow tls.c:

- tls-cert-file and tls-key-file are required; a CA (tls-ca-cert-file or -dir) is
  required when tls-auth-clients is not "no" or tls-replication / tls-cluster is on.
- tls-protocols: words TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (any case); empty means
  "TLSv1.2 TLSv1.3". SSLv2/3 and compression are always off.
- tls-auth-clients: yes = a certificate is required (CERT_REQUIRED is OpenSSL's
  VERIFY_PEER|VERIFY_FAIL_IF_NO_PEER_CERT on a server), optional = verified when sent,
  no = never asked. Redis reads it per accepted connection, so a CONFIG SET of it never
  fails; here it rebuilds the listeners' context (`apply_auth_clients`).
- tls-ciphers (TLS <= 1.2), tls-ciphersuites (TLS 1.3), tls-prefer-server-ciphers,
  tls-dh-params-file, tls-key-file-pass, tls-session-caching with
  tls-session-cache-size / -timeout and the session id context "redis". With caching
  off Redis sets no id context (Python sets "Python"; it is cleared here), so OpenSSL
  refuses any resumption attempt while it verifies peers, as Redis's does.

Python's ssl module has no setter for TLS 1.3 cipher suites nor for the server session
cache (mode, size, timeout, id context). `_LibSSL` calls those OpenSSL functions through
ctypes on the context's own SSL_CTX, after proving it found the right pointer (its
options must read back equal to `SSLContext.options`). If that proof fails (another
Python build), tls-ciphersuites cannot be honoured and startup fails with a log line
saying so, while the session cache keeps OpenSSL's defaults (on, 20480 entries).

Listeners keep their context; a CONFIG SET that changes it re-creates the TLS listeners
on duplicates of the same listening sockets (the port never closes: connections wait in
the backlog meanwhile), so new connections use the new settings and established ones
keep theirs, as in Redis. CONFIG SET tls-port binds the new port before answering.

Connections run through `TLSConnection` (memory BIOs) rather than asyncio's TLS, so
that a failed handshake sends OpenSSL's alert and is logged as Redis logs it, and a
connection over maxclients is cut off before the handshake, as in Redis. The log line
gives OpenSSL's reason text without its packed error code ("error:0A0000C7:SSL
routines::"), which Python's ssl module does not expose.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import socket
import ssl
import sys

log = logging.getLogger("redpy")

CONFIGURE_FAILED = "Failed to configure TLS. Check logs for more info."
UPDATE_FAILED = "Unable to update TLS configuration. Check server logs."

_PROTOCOLS = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}
_ORDER = [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3]
_NO_FLAG = {
    ssl.TLSVersion.TLSv1: ssl.OP_NO_TLSv1,
    ssl.TLSVersion.TLSv1_1: ssl.OP_NO_TLSv1_1,
    ssl.TLSVersion.TLSv1_2: ssl.OP_NO_TLSv1_2,
    ssl.TLSVersion.TLSv1_3: ssl.OP_NO_TLSv1_3,
}

# OpenSSL's SSL_CTX_ctrl codes and cache modes (ssl.h)
_CTRL_SET_SESS_CACHE_SIZE = 42
_CTRL_SET_SESS_CACHE_MODE = 44
_SESS_CACHE_OFF = 0
_SESS_CACHE_SERVER = 2


class TLSConfigError(Exception):
    """TLS cannot be configured; the message is the line Redis logs."""


def tls_enabled(cfg) -> bool:
    """Redis configures TLS only when something uses it."""
    return bool(cfg.tls_port or cfg.tls_replication or cfg.tls_cluster)


def parse_protocols(text: str) -> list:
    """tls-protocols -> the allowed versions (parseProtocolsConfig)."""
    if not text:
        return [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3]
    versions = []
    for word in text.split():
        v = _PROTOCOLS.get(word.lower())
        if v is None:
            raise TLSConfigError(
                "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."
            )
        if v not in versions:
            versions.append(v)
    if ssl.TLSVersion.TLSv1_3 in versions and not ssl.HAS_TLSv1_3:
        raise TLSConfigError("TLSv1.3 is specified in tls-protocols but not supported by OpenSSL.")
    return versions


def _reason(e: BaseException) -> str:
    if isinstance(e, ssl.SSLError):
        return getattr(e, "reason", None) or (e.args[0] if e.args else str(e))
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e)


def _loaded_libssl() -> str | None:
    """The libssl this process already runs (the one _ssl is linked with), never another."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split(None, 5)[-1].strip()
                if "/libssl.so" in path:
                    return path
    except OSError:
        pass
    return None


class _LibSSL:
    """The few OpenSSL calls Python's ssl module does not expose, on an SSLContext."""

    lib = None

    @classmethod
    def load(cls):
        if cls.lib is None:
            try:
                libssl = ctypes.CDLL(_loaded_libssl())
                libssl.SSL_CTX_get_options.restype = ctypes.c_uint64
                libssl.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
                libssl.SSL_CTX_ctrl.restype = ctypes.c_long
                libssl.SSL_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
                libssl.SSL_CTX_set_timeout.restype = ctypes.c_long
                libssl.SSL_CTX_set_timeout.argtypes = [ctypes.c_void_p, ctypes.c_long]
                libssl.SSL_CTX_set_session_id_context.restype = ctypes.c_int
                libssl.SSL_CTX_set_session_id_context.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint]
                libssl.SSL_CTX_set_ciphersuites.restype = ctypes.c_int
                libssl.SSL_CTX_set_ciphersuites.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
                # libcrypto's, found through libssl's dependencies
                libssl.ERR_clear_error.restype = None
                libssl.ERR_clear_error.argtypes = []
                cls.lib = libssl
            except (OSError, AttributeError, TypeError):
                cls.lib = False
        return cls.lib or None

    @classmethod
    def ctx_pointer(cls, context: ssl.SSLContext):
        """The SSL_CTX* of a CPython SSLContext (the field right after PyObject_HEAD)."""
        lib = cls.load()
        if lib is None or sys.implementation.name != "cpython":
            return None
        head = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
        ptr = ctypes.c_void_p.from_address(id(context) + head).value
        if not ptr:
            return None
        if lib.SSL_CTX_get_options(ptr) != int(context.options):
            return None
        # prove it twice: flip an option through Python and read it back
        probe = ssl.OP_NO_RENEGOTIATION if hasattr(ssl, "OP_NO_RENEGOTIATION") else ssl.OP_NO_TICKET
        before = context.options
        context.options = before ^ probe
        same = lib.SSL_CTX_get_options(ptr) == int(context.options)
        context.options = before
        return ptr if same else None


def create_server_context(cfg, check_ca: bool = True) -> ssl.SSLContext:
    """An SSLContext for accepted connections, or TLSConfigError with Redis's log line."""
    if not cfg.tls_cert_file:
        raise TLSConfigError("No tls-cert-file configured!")
    if not cfg.tls_key_file:
        raise TLSConfigError("No tls-key-file configured!")
    if (
        check_ca
        and (cfg.tls_auth_clients != "no" or cfg.tls_cluster or cfg.tls_replication)
        and not cfg.tls_ca_cert_file
        and not cfg.tls_ca_cert_dir
    ):
        raise TLSConfigError(
            "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
            "tls-replication or tls-auth-clients are enabled!"
        )
    ctx = _base_context(cfg, ssl.PROTOCOL_TLS_SERVER)
    _load_cert_key(ctx, cfg.tls_cert_file, cfg.tls_key_file, cfg.tls_key_file_pass)
    if cfg.tls_ca_cert_file or cfg.tls_ca_cert_dir:
        try:
            ctx.load_verify_locations(cafile=cfg.tls_ca_cert_file or None, capath=cfg.tls_ca_cert_dir or None)
        except (ssl.SSLError, OSError) as e:
            raise TLSConfigError(f"Failed to configure CA certificate(s) file/directory: {_reason(e)}") from None
    if cfg.tls_dh_params_file:
        try:
            ctx.load_dh_params(cfg.tls_dh_params_file)
        except (ssl.SSLError, OSError) as e:
            raise TLSConfigError(f"Failed to load {cfg.tls_dh_params_file}: {_reason(e)}") from None
    ctx.verify_mode = {"yes": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL}.get(cfg.tls_auth_clients, ssl.CERT_NONE)
    if cfg.tls_prefer_server_ciphers:
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    _session_cache(ctx, cfg)
    if cfg.tls_client_cert_file:
        # the context Redis uses for outgoing connections (replication, cluster bus):
        # it is loaded, and must load, even though redpy makes no outgoing TLS connection
        client = _base_context(cfg, ssl.PROTOCOL_TLS_CLIENT)
        _load_cert_key(client, cfg.tls_client_cert_file, cfg.tls_client_key_file, cfg.tls_client_key_file_pass)
    return ctx


def _base_context(cfg, protocol) -> ssl.SSLContext:
    """createSSLContext's common part: protocols, compression, ciphers, ciphersuites."""
    versions = parse_protocols(cfg.tls_protocols)
    ctx = ssl.SSLContext(protocol)
    if protocol == ssl.PROTOCOL_TLS_CLIENT:
        ctx.check_hostname = False
    # Python's defaults refuse TLSv1/1.1 (minimum_version 1.2): open the range, then
    # switch off each version that is not listed, as Redis does with SSL_OP_NO_*.
    try:
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    except ValueError:
        pass
    options = ssl.OP_NO_COMPRESSION
    for v in _ORDER:
        if v not in versions:
            options |= _NO_FLAG[v]
    # Python turns server cipher preference on by default; Redis only with
    # tls-prefer-server-ciphers
    ctx.options = (ctx.options | options) & ~ssl.OP_CIPHER_SERVER_PREFERENCE
    # Python's own default cipher string differs from OpenSSL's, which Redis keeps
    try:
        ctx.set_ciphers(cfg.tls_ciphers or "DEFAULT")
    except ssl.SSLError as e:
        raise TLSConfigError(f"Failed to configure ciphers: {_reason(e)}") from None
    if cfg.tls_ciphersuites:
        ptr = _LibSSL.ctx_pointer(ctx)
        if ptr is None:
            raise TLSConfigError("Failed to configure ciphersuites: not supported by this Python's ssl module")
        if not _LibSSL.lib.SSL_CTX_set_ciphersuites(ptr, cfg.tls_ciphersuites.encode()):
            # The failure leaves its error on this thread's OpenSSL error queue, where
            # the next TLS read on any connection would find it and fail: clear it.
            _LibSSL.lib.ERR_clear_error()
            raise TLSConfigError("Failed to configure ciphersuites: no cipher match")
    return ctx


def _load_cert_key(ctx: ssl.SSLContext, cert: str, key: str, password: str) -> None:
    try:
        with open(cert, "rb") as f:
            if b"-----BEGIN CERTIFICATE-----" not in f.read():
                raise TLSConfigError(f"Failed to load certificate: {cert}: no certificate found")
    except OSError as e:
        raise TLSConfigError(f"Failed to load certificate: {cert}: {_reason(e)}") from None
    try:
        ctx.load_cert_chain(cert, key or None, password=password or "")
    except (ssl.SSLError, OSError) as e:
        raise TLSConfigError(f"Failed to load private key: {key}: {_reason(e)}") from None


def _session_cache(ctx: ssl.SSLContext, cfg) -> None:
    ptr = _LibSSL.ctx_pointer(ctx)
    if ptr is None:
        return
    lib = _LibSSL.lib
    if cfg.tls_session_caching:
        lib.SSL_CTX_ctrl(ptr, _CTRL_SET_SESS_CACHE_MODE, _SESS_CACHE_SERVER, None)
        lib.SSL_CTX_ctrl(ptr, _CTRL_SET_SESS_CACHE_SIZE, cfg.tls_session_cache_size, None)
        lib.SSL_CTX_set_timeout(ptr, cfg.tls_session_cache_timeout)
        lib.SSL_CTX_set_session_id_context(ptr, b"redis", 5)
    else:
        lib.SSL_CTX_ctrl(ptr, _CTRL_SET_SESS_CACHE_MODE, _SESS_CACHE_OFF, None)
        # Python gives every context the id context "Python"; Redis sets none, so a
        # client offering a session to resume (ticket or id) gets OpenSSL's "session id
        # context uninitialized" internal-error alert while peers are verified
        lib.SSL_CTX_set_session_id_context(ptr, b"", 0)


# ---------------------------------------------------------------------- runtime changes


def configure(server) -> bool:
    """Startup: build the context if TLS is used. Logs why and returns False on failure
    (the caller stops with CONFIGURE_FAILED)."""
    server.tls_context = None
    if not tls_enabled(server.config):
        return True
    try:
        server.tls_context = create_server_context(server.config)
    except TLSConfigError as e:
        log.warning("%s", e)
        return False
    return True


def apply_tls_config(server, old) -> None:
    """CONFIG SET of a tls-* parameter (applyTlsCfg): rebuild the context if TLS is on."""
    from .config import ConfigError

    if not tls_enabled(server.config):
        return
    try:
        ctx = create_server_context(server.config)
    except TLSConfigError as e:
        log.warning("%s", e)
        raise ConfigError(UPDATE_FAILED) from None
    _use_context(server, ctx)


def apply_auth_clients(server, old) -> None:
    """tls-auth-clients has no apply function in Redis: it is read at every accept, so
    the new mode holds for new connections and the CONFIG SET never fails."""
    if getattr(server, "tls_context", None) is None:
        return
    try:
        ctx = create_server_context(server.config, check_ca=False)
    except TLSConfigError as e:  # files changed on disk since: keep the old context
        log.warning("%s", e)
        return
    _use_context(server, ctx)


def apply_tls_port(server, old) -> None:
    """CONFIG SET tls-port (applyTLSPort): configure TLS if needed, then move the listener."""
    from .config import ConfigError

    if server.loop is None:
        return
    if getattr(server, "tls_context", None) is None:
        try:
            server.tls_context = create_server_context(server.config)
        except TLSConfigError as e:
            log.warning("%s", e)
            raise ConfigError(UPDATE_FAILED) from None
    new_port = server.config.tls_port
    socks = []
    if new_port:
        try:
            socks = bind_tcp(server.config.bind, new_port, server.config.tcp_backlog)
            if not socks:
                raise OSError(f"Failed listening on port {new_port} (tls), aborting.")
        except OSError as e:
            log.warning("%s", e)
            raise ConfigError("Unable to listen on this port. Check server logs.") from None
    _close_tls_listeners(server)
    server.tls_port = new_port
    _serve(server, socks, server.tls_context)


def _use_context(server, ctx: ssl.SSLContext) -> None:
    """New connections use ctx (TLSConnection reads it at accept); established ones keep theirs."""
    server.tls_context = ctx


def _close_tls_listeners(server) -> None:
    for srv in getattr(server, "tls_listeners", ()):
        srv.close()
        if srv in server.listeners:
            server.listeners.remove(srv)
    server.tls_listeners = []


def _serve(server, socks, ctx) -> None:
    """Serve already listening sockets: connections wait in the backlog until then."""
    loop = server.loop

    async def start(sock):
        srv = await loop.create_server(server.tls_client_factory, sock=sock, backlog=server.config.tcp_backlog)
        server.listeners.append(srv)
        server.tls_listeners.append(srv)

    for sock in socks:
        loop.create_task(start(sock))


def accept_factory(server):
    """The TLS listeners' protocol factory: a TLSConnection with the current context."""

    def factory():
        return TLSConnection(server, server.tls_context)

    return factory


def _ssl_reason(e: BaseException) -> str:
    """The OpenSSL reason text of an SSLError ("peer did not return a certificate")."""
    text = str(e.args[1]) if isinstance(e, ssl.SSLError) and len(e.args) > 1 else str(e)
    if text.startswith("[") and "] " in text:
        text = text.split("] ", 1)[1]
    return text.split(" (_ssl.c:")[0]


class TLSConnection(asyncio.Protocol):
    """A TLS server connection driven through memory BIOs, in front of a Client.

    asyncio's own TLS drops a failed handshake without sending OpenSSL's alert, so the
    client sees EOF where redis-server's clients read e.g. "tlsv13 alert certificate
    required". Here the handshake runs on an SSLObject over two MemoryBIOs: whatever
    OpenSSL wants to send (alerts included) is written to the socket before it closes,
    and the failure is logged as Redis logs it. Redis refuses a connection over
    maxclients at accept time, before any TLS (the client's handshake is cut off); so
    does connection_made. After the handshake a Client gets a `TLSTransport` and sees
    plaintext only.
    """

    def __init__(self, server, ctx: ssl.SSLContext):
        self.server = server
        self.ctx = ctx
        self.raw = None
        self.sslobj = None
        self.client = None
        self.app_transport = None
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()

    def connection_made(self, raw) -> None:
        self.raw = raw
        server = self.server
        if len(server.clients) >= server.config.maxclients or self.ctx is None:
            server.stat_rejected_conn += 1
            raw.abort()
            return
        self.sslobj = self.ctx.wrap_bio(self._incoming, self._outgoing, server_side=True)

    def _send_pending(self) -> None:
        data = self._outgoing.read()
        if data and not self.raw.is_closing():
            self.raw.write(data)

    def _fail(self, reason: str) -> None:
        log.warning("Error accepting a client connection: %s", reason)
        self._send_pending()  # the alert, if OpenSSL made one
        self.raw.close()  # close() still writes what is buffered

    def data_received(self, data: bytes) -> None:
        if self.sslobj is None:
            return
        self._incoming.write(data)
        if self.client is None:
            try:
                self.sslobj.do_handshake()
            except ssl.SSLWantReadError:
                self._send_pending()
                return
            except ssl.SSLError as e:
                self._fail(_ssl_reason(e))
                return
            self._send_pending()  # the handshake's end and TLS 1.3 session tickets
            from .connection import Client

            self.client = Client(self.server)
            self.app_transport = TLSTransport(self)
            self.client.connection_made(self.app_transport)
            if self.app_transport.is_closing():
                return
        chunks = []
        while True:
            try:
                chunk = self.sslobj.read(262144)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                # close_notify from the client: it is done sending
                self.raw.close()
                break
            except ssl.SSLError as e:
                log.warning("Error reading from client: %s", _ssl_reason(e))
                self.raw.abort()
                return
            if not chunk:
                break
            chunks.append(chunk)
        if chunks and not self.client.closed:
            self.client.data_received(chunks[0] if len(chunks) == 1 else b"".join(chunks))
        self._send_pending()

    def eof_received(self):
        if self.client is None and self.sslobj is not None:
            fd = -1
            sock = self.raw.get_extra_info("socket")
            if sock is not None:
                fd = sock.fileno()
            log.warning("Error accepting a client connection: unexpected eof while reading (conn: fd=%d)", fd)
        return False  # close the transport

    def connection_lost(self, exc) -> None:
        if self.client is not None:
            self.client.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.client is not None and hasattr(self.client, "pause_writing"):
            self.client.pause_writing()

    def resume_writing(self) -> None:
        if self.client is not None and hasattr(self.client, "resume_writing"):
            self.client.resume_writing()


class TLSTransport(asyncio.Transport):
    """What a Client sees of a TLS connection: plaintext in, plaintext out."""

    def __init__(self, conn: TLSConnection):
        super().__init__()
        self._conn = conn

    def write(self, data) -> None:
        conn = self._conn
        if conn.raw.is_closing():
            return
        conn.sslobj.write(data)
        conn._send_pending()

    def writelines(self, chunks) -> None:
        self.write(b"".join(chunks))

    def close(self) -> None:
        conn = self._conn
        if conn.raw.is_closing():
            return
        try:
            conn.sslobj.unwrap()  # queues our close_notify
        except (ssl.SSLError, ValueError):
            pass
        conn._send_pending()
        conn.raw.close()

    def abort(self) -> None:
        self._conn.raw.abort()

    def is_closing(self) -> bool:
        return self._conn.raw.is_closing()

    def get_extra_info(self, name, default=None):
        conn = self._conn
        if name == "ssl_object":
            return conn.sslobj
        if name == "peercert":
            return conn.sslobj.getpeercert()
        if name == "cipher":
            return conn.sslobj.cipher()
        if name == "sslcontext":
            return conn.ctx
        return conn.raw.get_extra_info(name, default)

    def get_write_buffer_size(self) -> int:
        return self._conn.raw.get_write_buffer_size()

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        self._conn.raw.set_write_buffer_limits(high, low)

    def pause_reading(self) -> None:
        self._conn.raw.pause_reading()

    def resume_reading(self) -> None:
        self._conn.raw.resume_reading()

    def is_reading(self) -> bool:
        return self._conn.raw.is_reading()


# ---------------------------------------------------------------------- listening sockets


def bind_tcp(bind: list, port: int, backlog: int) -> list:
    """Listening sockets for every bind address, as Redis's listenToPort.

    Synchronous, so CONFIG SET can report a failure at once. "-addr" is optional (skipped
    when it cannot be bound), "*" is every IPv4 address, "::*" every IPv6 one; port 0
    asks the kernel for a port, then every further address uses the one it gave.
    """
    socks = []
    bound_port = port
    try:
        for addr in bind or ["*"]:
            optional = addr.startswith("-")
            host = addr.lstrip("-")
            host = {"*": "0.0.0.0", "::*": "::"}.get(host, host)
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind((host, bound_port))
                sock.listen(backlog)
                sock.setblocking(False)
            except OSError as e:
                sock.close()
                if optional:
                    continue
                raise OSError(
                    f"Could not create server TCP listening socket {host}:{port}: {e.strerror or e}"
                ) from e
            if bound_port == 0:
                bound_port = sock.getsockname()[1]
            socks.append(sock)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks

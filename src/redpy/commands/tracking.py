"""CLIENT TRACKING, CLIENT TRACKINGINFO, CLIENT CACHING (client-side caching, tracking.py).

CLIENT GETREDIR lives in connection.py and reads `c.tracking.redirect`.
"""

from __future__ import annotations

from .. import tracking
from ..errors import NOT_INTEGER, SYNTAX, CommandError
from ..numbers import string2ll
from ..registry import command_group
from ..replies import OK, SetReply

command = command_group("connection")


@command("client|tracking")
def cmd_client_tracking(c, argv):
    """CLIENT TRACKING ON|OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]

    Options are parsed (and REDIRECT's client checked) before ON/OFF. OFF ignores the
    options. A PREFIX overlapping an earlier given one (not the first) answers the error
    and then also +OK with tracking enabled: Redis's collision check returns the index.
    """
    server = c.server
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes: list[bytes] = []
    argc = len(argv)
    j = 3
    while j < argc:
        opt = argv[j].lower()
        more = j < argc - 1
        if opt == b"redirect" and more:
            j += 1
            if redirect:
                raise CommandError("ERR A client can only redirect to a single other client")
            redirect = string2ll(argv[j])
            if redirect is None:
                raise CommandError(NOT_INTEGER)
            if redirect not in server.clients:
                raise CommandError("ERR The client ID you want redirect to does not exist")
        elif opt == b"bcast":
            bcast = True
        elif opt == b"optin":
            optin = True
        elif opt == b"optout":
            optout = True
        elif opt == b"noloop":
            noloop = True
        elif opt == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise CommandError(SYNTAX)
        j += 1
    mode = argv[2].lower()
    if mode == b"on":
        t = c.tracking
        if not bcast and prefixes:
            raise CommandError("ERR PREFIX option requires BCAST mode to be enabled")
        if t is not None and t.bcast != bcast:
            raise CommandError(
                "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
                "and then re-enabling it with a different mode."
            )
        if bcast and (optin or optout):
            raise CommandError("ERR OPTIN and OPTOUT are not compatible with BCAST")
        if optin and optout:
            raise CommandError("ERR You can't specify both OPTIN mode and OPTOUT mode")
        if t is not None and ((optin and t.optout) or (optout and t.optin)):
            raise CommandError(
                "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
                "and then re-enabling it with a different mode."
            )
        if bcast:
            err, go_on = tracking.prefix_overlap_error(t, prefixes)
            if err is not None:
                if not go_on:
                    raise CommandError(err)
                e = CommandError(err)
                c.reply(e)
                server.stat_error(e.code)
        tracking.enable(server, c, redirect, bcast, optin, optout, noloop, prefixes)
    elif mode == b"off":
        tracking.disable(server, c)
    else:
        raise CommandError(SYNTAX)
    return OK


@command("client|caching")
def cmd_client_caching(c, argv):
    """CLIENT CACHING YES|NO

    Valid only with tracking on in OPTIN (YES) or OPTOUT (NO) mode; applies to the next
    command (or transaction).
    """
    t = c.tracking
    if t is None:
        raise CommandError(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
        )
    opt = argv[2].lower()
    if opt == b"yes":
        if not t.optin:
            raise CommandError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    elif opt == b"no":
        if not t.optout:
            raise CommandError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    else:
        raise CommandError(SYNTAX)
    t.caching = True
    return OK


@command("client|trackinginfo")
def cmd_client_trackinginfo(c, argv):
    """CLIENT TRACKINGINFO"""
    t = c.tracking
    if t is None:
        return {b"flags": SetReply([b"off"]), b"redirect": -1, b"prefixes": []}
    flags = [b"on"]
    if t.bcast:
        flags.append(b"bcast")
    if t.optin:
        flags.append(b"optin")
        if t.caching:
            flags.append(b"caching-yes")
    if t.optout:
        flags.append(b"optout")
        if t.caching:
            flags.append(b"caching-no")
    if t.noloop:
        flags.append(b"noloop")
    if t.broken_redirect:
        flags.append(b"broken_redirect")
    return {b"flags": SetReply(flags), b"redirect": t.redirect, b"prefixes": list(t.prefixes)}

"""ACL command (group server): SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, LOG,
GENPASS, DRYRUN, SAVE, LOAD, HELP. The ACL state and checks live in redpy/acl.py."""

from __future__ import annotations

import os

from ..acl import ACL_OK, CAT_MEMBERS, CATEGORIES, NO_ACLFILE, error_message
from ..errors import NOT_INTEGER, CommandError, c_string, subcommand_syntax
from ..keyspecs import lookup_any
from ..numbers import string2ll
from ..registry import command_group
from ..replies import OK, Simple

command = command_group("server")

_HELP = [
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
]


@command("acl|help")
def cmd_acl_help(c, argv):
    """ACL HELP"""
    return [Simple(line.encode()) for line in _HELP]


@command("acl|setuser")
def cmd_acl_setuser(c, argv):
    """ACL SETUSER username [rule [rule ...]]

    All rules are applied to a copy first: one bad rule leaves the user unchanged (and an
    unknown user uncreated).
    """
    name = argv[2]
    if b" " in name or b"\0" in name:
        raise CommandError("ERR Usernames can't contain spaces or null characters")
    err = c.server.acl.set_user(name, argv[3:])
    if err is not None:
        raise CommandError(b"ERR " + err.replace(b"\r", b" ").replace(b"\n", b" "))
    return OK


@command("acl|getuser")
def cmd_acl_getuser(c, argv):
    """ACL GETUSER username"""
    return c.server.acl.getuser_reply(argv[2])


@command("acl|deluser")
def cmd_acl_deluser(c, argv):
    """ACL DELUSER username [username ...]

    Clients authenticated as a deleted user are disconnected (the caller after its reply).
    """
    acl = c.server.acl
    deleted = 0
    for name in argv[2:]:
        if name == b"default":
            raise CommandError("ERR The 'default' user cannot be removed")
        deleted += acl.delete_user(c, name)
    return deleted


@command("acl|list")
def cmd_acl_list(c, argv):
    """ACL LIST"""
    return c.server.acl.list_lines()


@command("acl|users")
def cmd_acl_users(c, argv):
    """ACL USERS"""
    return sorted(c.server.acl.users)


@command("acl|whoami")
def cmd_acl_whoami(c, argv):
    """ACL WHOAMI"""
    return c.user.encode("utf-8", "surrogateescape")


@command("acl|cat")
def cmd_acl_cat(c, argv):
    """ACL CAT [category]

    Commands come in Redis's table order (Redis's own order is its dict's hash order).
    """
    if len(argv) == 2:
        return [cat.encode() for cat in CATEGORIES]
    cat = argv[2].decode("utf-8", "surrogateescape").lower()
    if cat not in CAT_MEMBERS:
        raise CommandError(b"ERR Unknown category '%b'" % c_string(argv[2]))
    return [name.encode() for name in CAT_MEMBERS[cat]]


@command("acl|log")
def cmd_acl_log(c, argv):
    """ACL LOG [count | RESET]"""
    acl = c.server.acl
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            acl.log.clear()
            return OK
        count = string2ll(argv[2])
        if count is None:
            raise CommandError(NOT_INTEGER)
        count = max(count, 0)
    elif len(argv) > 3:
        raise subcommand_syntax(argv[1], "acl")
    return acl.log_reply(count)


@command("acl|genpass")
def cmd_acl_genpass(c, argv):
    """ACL GENPASS [bits]

    (bits + 3) // 4 hex characters from the system's random source.
    """
    bits = 256
    if len(argv) == 3:
        bits = string2ll(argv[2])
        if bits is None:
            raise CommandError(NOT_INTEGER)
        if bits <= 0 or bits > 4096:
            raise CommandError(
                "ERR ACL GENPASS argument must be the number of bits for the output password, "
                "a positive number up to 4096"
            )
    elif len(argv) > 3:
        raise subcommand_syntax(argv[1], "acl")
    chars = (bits + 3) // 4
    return os.urandom((chars + 1) // 2).hex()[:chars].encode()


@command("acl|dryrun")
def cmd_acl_dryrun(c, argv):
    """ACL DRYRUN username command [arg [arg ...]]

    Works for every command of Redis's table, implemented here or not. A denial is a bulk
    string (not an error) naming the key or channel.
    """
    acl = c.server.acl
    user = acl.users.get(argv[2])
    if user is None:
        raise CommandError(b"ERR User '%b' not found" % c_string(argv[2]))
    sub_argv = argv[3:]
    entry = lookup_any(sub_argv)
    if entry is None:
        raise CommandError(b"ERR Command '%b' not found" % c_string(argv[3]))
    argc = len(sub_argv)
    if (entry.arity > 0 and entry.arity != argc) or argc < -entry.arity:
        raise CommandError(f"ERR wrong number of arguments for '{entry.fullname}' command")
    res, idx = user.check(entry.fullname, "|" in entry.fullname, sub_argv)
    if res != ACL_OK:
        return error_message(res, entry.fullname, sub_argv[idx], True)
    return OK


@command("acl|save")
def cmd_acl_save(c, argv):
    """ACL SAVE"""
    path = c.server.config.aclfile
    if not path:
        raise CommandError(NO_ACLFILE)
    if not c.server.acl.save_file(path):
        raise CommandError(
            "ERR There was an error trying to save the ACLs. Please check the server logs for more information"
        )
    return OK


@command("acl|load")
def cmd_acl_load(c, argv):
    """ACL LOAD

    All or nothing: on any error the current users stay.
    """
    path = c.server.config.aclfile
    if not path:
        raise CommandError(NO_ACLFILE)
    err = c.server.acl.load_file(path, c)
    if err is not None:
        raise CommandError("ERR " + err)
    return OK

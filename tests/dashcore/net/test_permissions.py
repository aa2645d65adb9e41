"""Peer permissions as Dash computes them: -whitelist and -whitebind entries, the legacy implicit set and its
-whitelistrelay/-whitelistforcerelay switches, implied permissions, and the init errors."""

from __future__ import annotations

import pytest

from dashcore.init.options import DASHD_OPTIONS
from dashcore.node.net.connman import Connman, NetError, parse_permissions
from dashcore.util.args import ArgsManager


def _connman(*argv: str) -> Connman:
    args = ArgsManager(DASHD_OPTIONS)
    args.parse_command_line(list(argv))
    return Connman(args, "/test/", lambda: 0)


@pytest.mark.parametrize("argv, expected", [
    (["-whitelist=127.0.0.1"], {"relay", "noban", "mempool", "download"}),
    (["-whitelist=@127.0.0.1", "-whitelistforcerelay=1"], set()),
    (["-whitelist=127.0.0.1", "-whitelistrelay=0"], {"noban", "mempool", "download"}),
    (["-whitelist=127.0.0.1", "-whitelistforcerelay"], {"forcerelay", "relay", "noban", "mempool", "download"}),
    (["-whitelist=noban,mempool@127.0.0.1", "-whitelistrelay"], {"noban", "mempool", "download"}),
    (["-whitelist=noban@127.0.0.1"], {"noban", "download"}),
    (["-whitelist=all@127.0.0.1"], {"forcerelay", "noban", "mempool", "bloomfilter", "relay", "download", "addr"}),
    (["-whitelist=noban@10.0.0.0/8"], set()),
])
def test_whitelist_permissions(argv, expected):
    assert _connman(*argv).permissions("127.0.0.1") == expected


def test_whitebind_permissions_merge_with_the_whitelist():
    c = _connman("-whitelist=noban@127.0.0.1", "-whitebind=bloomfilter,forcerelay@127.0.0.1:1")
    [(host, port, perms)] = c.whitebinds
    assert (host, port) == ("127.0.0.1", 1)
    assert c.permissions("127.0.0.1", perms) == {"noban", "bloomfilter", "forcerelay", "relay", "download"}


@pytest.mark.parametrize("argv, message", [
    (["-whitelist=oopsie@127.0.0.1"], "Invalid P2P permission: 'oopsie'"),
    (["-whitelist=noban@127.0.0.1:230"], "Invalid netmask specified in -whitelist: '127.0.0.1:230'"),
    (["-whitebind=noban@127.0.0.1/10"], "Cannot resolve -whitebind address: '127.0.0.1/10'"),
    (["-whitebind=noban@127.0.0.1"], "Need to specify a port with -whitebind: '127.0.0.1'"),
    (["-whitebind=noban@127.0.0.1", "-bind=127.0.0.1", "-listen=0"],
     "Cannot set -bind or -whitebind together with -listen=0"),
])
def test_bad_permission_options_are_init_errors(argv, message):
    with pytest.raises(NetError, match=message.replace("/", ".").replace("-", ".")):
        _connman(*argv)


def test_parse_permissions():
    assert parse_permissions("1.2.3.4") == ({"implicit"}, "1.2.3.4")
    assert parse_permissions("noban,,relay@x") == ({"noban", "download", "relay"}, "x")

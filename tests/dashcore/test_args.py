"""Options as dashd reads them: integers by their leading digits, clear errors otherwise."""

from __future__ import annotations

import pytest

from dashcore.util.args import ArgsError, ArgsManager, Option


def _args(*argv: str) -> ArgsManager:
    args = ArgsManager([Option("mocktime"), Option("port")])
    args.parse_command_line(list(argv))
    return args


def test_integer_options_take_their_leading_integer():
    assert _args("-mocktime=1417716613.0").get_int("mocktime", 0) == 1417716613
    assert _args("-mocktime=-5").get_int("mocktime", 0) == -5
    assert _args("-mocktime= 7").get_int("mocktime", 0) == 7
    assert _args().get_int("mocktime", 42) == 42


def test_an_integer_option_without_digits_is_an_error_naming_it():
    with pytest.raises(ArgsError, match=r"Invalid value for -port: 'abc'"):
        _args("-port=abc").get_int("port", 0)


def test_an_unknown_option_is_refused():
    with pytest.raises(ArgsError, match="Invalid parameter -nonsense"):
        _args("-nonsense=1")

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


def _configured(tmp_path, conf: str, *argv: str, includes: dict[str, str] | None = None) -> ArgsManager:
    (tmp_path / "dash.conf").write_text(conf)
    for name, text in (includes or {}).items():
        (tmp_path / name).write_text(text)
    args = ArgsManager([Option(n) for n in ("uacomment", "port", "includeconf", "server", "conf")])
    args.parse_command_line(list(argv))
    args.read_config_file(str(tmp_path))
    return args


def test_lists_merge_every_source_and_single_values_take_the_winner(tmp_path):
    args = _configured(tmp_path, "uacomment=top\nport=1\nserver=1\n[regtest]\nuacomment=section\nserver=0\n",
                       "-uacomment=cmd")
    assert args.get_list("uacomment") == ["cmd", "section", "top"]
    assert args.get("uacomment") == "cmd" and args.get_bool("server") is False
    assert args.get("port") == "" and not args.is_set("port")  # network-only: the top level is not read
    # a spawned process given effective_args() reads the same values
    child = ArgsManager([Option(n) for n in ("uacomment", "port", "includeconf", "server", "conf")])
    child.load_effective_args(args.effective_args())
    assert (child.get("uacomment"), child.get_bool("server")) == ("cmd", False)
    assert sorted(child.get_list("uacomment")) == ["cmd", "section", "top"]


def test_a_negated_list_ignores_the_config_file(tmp_path):
    assert _configured(tmp_path, "[regtest]\nuacomment=section\n", "-nouacomment").get_list("uacomment") == ["0"]


def test_includeconf(tmp_path):
    args = _configured(tmp_path, "[regtest]\nuacomment=main\nincludeconf=a.conf\nincludeconf=b.conf\n",
                       includes={"a.conf": "uacomment=a\nincludeconf=c.conf\n", "b.conf": "uacomment=b\n"})
    assert args.get_list("uacomment") == ["main", "a", "b"]
    assert args.warnings == ["warning: -includeconf cannot be used from included files; ignoring "
                             "-includeconf=c.conf"]
    with pytest.raises(ArgsError, match="Failed to include configuration file missing.conf"):
        _configured(tmp_path, "includeconf=missing.conf\n")
    with pytest.raises(ArgsError, match='-includeconf cannot be used from commandline; -includeconf="x.conf"'):
        _configured(tmp_path, "", "-includeconf=x.conf")
    with pytest.raises(ArgsError, match="-includeconf cannot be used from commandline; -includeconf=true"):
        _configured(tmp_path, "", "-noincludeconf=0")
    assert _configured(tmp_path, "includeconf=missing.conf\n", "-noincludeconf").get_list("uacomment") == []

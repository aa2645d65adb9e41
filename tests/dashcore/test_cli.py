"""dash-cli without a node: argument conversion, the JSON it sends and prints, HTTP replies, usage."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from dashcore import chainparams
from dashcore.cli import (DEFAULT_RPC_PORT, NETWORK, CliError, _parse_response, _uri_encode, convert_named,
                          convert_positional, run, to_json)


def test_base_parameters_match_the_chain():
    assert (NETWORK, DEFAULT_RPC_PORT) == (chainparams.NETWORK, chainparams.DEFAULT_RPC_PORT)


def test_positional_conversion_follows_dashs_table():
    assert convert_positional("generatetoaddress", ["2", "yAddr", "10"]) == [2, "yAddr", 10]
    assert convert_positional("echo", ["1", "null"]) == ["1", "null"]
    assert convert_positional("echojson", ["1", "null", '{"a":0.1}']) == [1, None, {"a": Decimal("0.1")}]
    with pytest.raises(CliError, match="Error parsing JSON: foo"):
        convert_positional("getblockhash", ["foo"])


def test_named_arguments_keep_dashs_quirks():
    # a later value replaces an earlier one where it stood; bare values go to "args", after an explicit "args"
    params = convert_named("echo", ["arg0=0", "arg1=1", "arg2=2", "arg1=3"])
    assert to_json(params) == '{"arg0":"0","arg1":"3","arg2":"2"}'
    # ("args" is no parameter of echojson, so its value stays a string; the bare "4" is its arg0)
    params = convert_named("echojson", ["args=[0,1]", "4"])
    assert to_json(params) == '{"args":"[0,1]","args":[4]}'
    assert to_json(convert_named("getblock", ["blockhash=ab", "verbosity=2"])) == '{"blockhash":"ab","verbosity":2}'


def test_json_output():
    value = {"a": [Decimal("0.00000001"), None, True], "b": {}, "c": [], "d": "é"}
    assert to_json(value) == '{"a":[0.00000001,null,true],"b":{},"c":[],"d":"é"}'
    assert to_json(value, indent=2) == ('{\n  "a": [\n    0.00000001,\n    null,\n    true\n  ],\n  "b": {},\n'
                                        '  "c": [],\n  "d": "é"\n}')


def test_http_response_parsing():
    assert _parse_response(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusyXX") == (503, b"busy")
    assert _parse_response(b"") == (0, b"")
    assert _parse_response(b"garbage") == (0, b"")


def test_wallet_names_in_the_uri():
    assert _uri_encode("w 1/é~x-._") == "w%201%2F%C3%A9~x-._"


def test_usage_and_mistakes():
    out, err, code = run([], io.StringIO())
    assert code == 1 and "Usage:  dash-cli" in out and err == "Error: too few parameters\n"
    out, err, code = run(["-version"], io.StringIO())
    assert code == 0 and out.startswith("Dash Core RPC client version")
    out, err, code = run(["-nosuchoption"], io.StringIO())
    assert code == 1 and err == "Error parsing command line arguments: Invalid parameter -nosuchoption\n"

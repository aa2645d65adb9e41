"""The template-encoded Call and Return frames decode to the same values as the generic path's."""

from __future__ import annotations

import pytest

from mpipc import EncodeError, codec
from mpipc.demo.adder import AddParams, AddResults, EchoParams
from mpipc.rpc import fastpath
from mpipc.rpc import messages as M


class Writer:
    def __init__(self, descriptors=()):
        self.descriptors = list(descriptors)


def _decoded(frame):
    return codec.decode(M.Message, frame)


@pytest.mark.parametrize("params", [AddParams(a=-7, b=2**31 - 1), EchoParams(data=b"\x00" * 5000), None])
@pytest.mark.parametrize("caps", [[], [M.CapDescriptor(senderHosted=3), M.CapDescriptor(receiverHosted=9)]])
def test_call_matches_the_generic_encoding(params, caps):
    fast = fastpath.encode_call(12, 40000, 0xFEDCBA9876543210, 65535, params, Writer(caps))
    generic = codec.encode(M.Message(call=M.Call(
        questionId=12, target=M.MessageTarget(importedCap=40000), interfaceId=0xFEDCBA9876543210,
        methodId=65535, params=M.Payload(content=params, capTable=caps),
        sendResultsTo=M.SendResultsTo(which="caller"))))
    a, b = _decoded(fast), _decoded(generic)
    assert a == b
    if params is not None:
        assert a.call.params.content.as_struct(type(params)) == params


@pytest.mark.parametrize("no_finish", [False, True])
@pytest.mark.parametrize("caps", [[], [M.CapDescriptor(senderHosted=1)]])
def test_return_matches_the_generic_encoding(no_finish, caps):
    fast = fastpath.encode_return(77, no_finish, AddResults(result=5), Writer(caps))
    generic = codec.encode(M.Message(return_=M.Return(
        answerId=77, releaseParamCaps=False, noFinishNeeded=no_finish,
        results=M.Payload(content=AddResults(result=5), capTable=caps))))
    a, b = _decoded(fast), _decoded(generic)
    assert a == b
    assert a.return_.releaseParamCaps is False and a.return_.noFinishNeeded is no_finish
    assert a.return_.results.content.as_struct(AddResults).result == 5


def test_bad_params_are_an_encode_error():
    with pytest.raises(EncodeError, match="a"):
        fastpath.encode_call(0, 0, 1, 0, AddParams(a="not a number", b=1), Writer())

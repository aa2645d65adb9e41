"""The two messages of every call, encoded from templates instead of built and walked.

A Call on an imported capability (sent to the caller) and a Return of results are
most of the traffic. Each is one frame whose outer structs (Message, Call or Return,
MessageTarget, Payload) never change shape: only a few numbers differ. So each is
encoded once, at import, through the generic codec, and later copied and patched
where those numbers sit (found from the schema's field offsets); the params or
results struct and the cap table are then appended as the generic encoder would.
The frames are the same, value for value, as the generic path's (a test compares).
"""

from __future__ import annotations

import struct

from .. import codec
from ..codec import layout
from ..codec.anypointer import write_any
from . import messages as M

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_PTR = struct.Struct("<iI")
_HEADER = struct.Struct("<II")


def _slot(cls, name: str):
    for f in cls.schema_node.struct.fields:
        if f.name == name:
            return f.slot.offset
    raise LookupError(name)


def _struct_at(frame, ptr_pos: int) -> tuple[int, int]:
    """(data start, pointer section start) of the struct a pointer at ``ptr_pos`` names."""
    lo, hi = _PTR.unpack_from(frame, ptr_pos)
    start = ptr_pos + 8 + (lo >> 2) * 8
    return start, start + (hi & 0xFFFF) * 8


def _outer(frame) -> tuple[int, int]:
    """The Call or Return struct of a Message frame (its root at byte 8)."""
    _, msg_ptrs = _struct_at(frame, 8)
    return _struct_at(frame, msg_ptrs)  # every Message member is its pointer 0


class _CallTemplate:
    def __init__(self):
        frame = codec.encode(M.Message(call=M.Call(
            questionId=0, target=M.MessageTarget(importedCap=0), interfaceId=0, methodId=0,
            params=M.Payload(content=None, capTable=[]), sendResultsTo=M.SendResultsTo(which="caller"))))
        data, ptrs = _outer(frame)
        self.question = data + 4 * _slot(M.Call, "questionId")
        self.interface = data + 8 * _slot(M.Call, "interfaceId")
        self.method = data + 2 * _slot(M.Call, "methodId")
        target, _ = _struct_at(frame, ptrs + 8 * _slot(M.Call, "target"))
        self.import_id = target + 4 * _slot(M.MessageTarget, "importedCap")
        _, payload_ptrs = _struct_at(frame, ptrs + 8 * _slot(M.Call, "params"))
        self.content = payload_ptrs + 8 * _slot(M.Payload, "content")
        self.cap_table = payload_ptrs + 8 * _slot(M.Payload, "capTable")
        self.frame = frame


class _ReturnTemplate:
    def __init__(self, no_finish: bool):
        frame = codec.encode(M.Message(return_=M.Return(
            answerId=0, releaseParamCaps=False, noFinishNeeded=no_finish,
            results=M.Payload(content=None, capTable=[]))))
        data, ptrs = _outer(frame)
        self.answer = data + 4 * _slot(M.Return, "answerId")
        _, payload_ptrs = _struct_at(frame, ptrs + 8 * _slot(M.Return, "results"))
        self.content = payload_ptrs + 8 * _slot(M.Payload, "content")
        self.cap_table = payload_ptrs + 8 * _slot(M.Payload, "capTable")
        self.frame = frame


_CALL = _CallTemplate()
_RETURNS = {False: _ReturnTemplate(False), True: _ReturnTemplate(True)}


def _finish(buf: bytearray, t, content, writer) -> bytearray:
    if content is not None:
        write_any(buf, t.content, content, writer)
    if writer is not None and writer.descriptors:
        layout.write_struct_list(buf, t.cap_table, writer.descriptors, None, M.CapDescriptor)
    _HEADER.pack_into(buf, 0, 0, (len(buf) >> 3) - 1)
    return buf  # no bytes() copy: a fresh copy of a large frame costs its page faults


def encode_call(question_id: int, import_id: int, interface_id: int, method_id: int, params, writer) -> bytearray:
    """Message.call to ``importedCap`` ``import_id``, results to the caller."""
    t = _CALL
    buf = bytearray(t.frame)
    _U32.pack_into(buf, t.question, question_id)
    _U64.pack_into(buf, t.interface, interface_id)
    _U16.pack_into(buf, t.method, method_id)
    _U32.pack_into(buf, t.import_id, import_id)
    return _finish(buf, t, params, writer)


def encode_return(answer_id: int, no_finish: bool, results, writer) -> bytearray:
    """Message.return of results (releaseParamCaps false)."""
    t = _RETURNS[no_finish]
    buf = bytearray(t.frame)
    _U32.pack_into(buf, t.answer, answer_id)
    return _finish(buf, t, results, writer)

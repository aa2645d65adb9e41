"""Recorded rpc.capnp traffic (C++ libmultiprocess and pycapnp peers): every frame decodes
to what its summary says, its params and results decode with the example schemas, and
re-encoding gives a message libcapnp reads the same."""

from __future__ import annotations

import ast
import glob
import json
import os
import re

import pytest

from mpipc import codec, schema

from . import support

HERE = os.path.dirname(os.path.abspath(__file__))
WIRE = os.path.join(HERE, "wire")
EXAMPLES = os.path.join(os.path.dirname(HERE), "schema", "schemas")

RPC = schema.load_rpc()
Message = support.cls_of(RPC, "Message")
PY_RPC = support.pycapnp_load(os.path.join(schema.bundled_dir(), "capnp", "rpc.capnp"))
APP = schema.load([os.path.join(EXAMPLES, "init.capnp"), os.path.join(WIRE, "emb.capnp")])


def records():
    out = []
    for path in sorted(glob.glob(os.path.join(WIRE, "*.jsonl"))):
        with open(path) as f:
            for i, line in enumerate(f):
                r = json.loads(line)
                out.append((os.path.basename(path), i, r["dir"], r["summary"], bytes.fromhex(r["hex"])))
    return out


RECORDS = records()


def test_every_recording_is_here():
    assert {r[0] for r in RECORDS} == {
        "mpexample-mpcalculator.jsonl", "mpexample-mpprinter.jsonl", "pycapnp-pipelining-embargo-tailcall.jsonl"}
    assert len(RECORDS) == 39 + 26 + 19


# --- the summary, rebuilt from the decoded message ------------------------------------------


def _transform(ops) -> list[str]:
    return [op.which + (str(op.getPointerField) if op.which == "getPointerField" else "") for op in ops or []]


def _caps(payload) -> list[tuple]:
    out = []
    for cd in payload.capTable or []:
        if cd.which == "receiverAnswer":
            pa = cd.receiverAnswer
            out.append((cd.which, f"q{pa.questionId}{_transform(pa.transform)}"))
        else:
            out.append((cd.which, getattr(cd, cd.which)))
    return out


def summarize(msg) -> str:
    w = msg.which
    if w == "bootstrap":
        return f"BOOTSTRAP q{msg.bootstrap.questionId}"
    if w == "call":
        c = msg.call
        t = c.target
        if t.which == "importedCap":
            target = f"imp{t.importedCap}"
        else:
            target = f"promised(q{t.promisedAnswer.questionId},{_transform(t.promisedAnswer.transform)})"
        return (f"CALL q{c.questionId} -> {target} iface={c.interfaceId:x} m={c.methodId} "
                f"caps={_caps(c.params)} sendResultsTo={c.sendResultsTo.which}")
    if w == "return":
        r = msg.return_
        what = f"results {_caps(r.results)}" if r.which == "results" else f"{r.which} "
        return f"RETURN a{r.answerId} {what} releaseParamCaps={r.releaseParamCaps}"
    if w == "finish":
        return f"FINISH q{msg.finish.questionId} releaseResultCaps={msg.finish.releaseResultCaps}"
    if w == "release":
        return f"RELEASE id{msg.release.id} refs={msg.release.referenceCount}"
    raise AssertionError(f"unexpected message {w}")


def matches(mine: str, recorded: str) -> bool:
    for optional in ("sendResultsTo", "releaseParamCaps", "releaseResultCaps"):
        if optional + "=" not in recorded:
            mine = re.sub(rf" {optional}=\w+", "", mine)
    return mine.replace("  ", " ").rstrip() == recorded.replace("  ", " ").rstrip()


@pytest.mark.parametrize("name,i,direction,summary,data", RECORDS, ids=[f"{r[0]}:{r[1]}" for r in RECORDS])
def test_frame_decodes_to_its_summary(name, i, direction, summary, data):
    msg = codec.decode(Message, data)
    if summary.startswith("DISEMBARGO"):
        assert support.to_dict(RPC, msg) == ast.literal_eval(summary.partition(" ")[2])
    else:
        assert matches(summarize(msg), summary), (summarize(msg), summary)


@pytest.mark.parametrize("name,i,direction,summary,data", RECORDS, ids=[f"{r[0]}:{r[1]}" for r in RECORDS])
def test_frame_reencodes_to_the_same_message(name, i, direction, summary, data):
    msg = codec.decode(Message, data)
    again = codec.encode(msg)
    assert codec.decode(Message, again) == msg  # content compared as copied bytes
    theirs, ours = _without_content(support.read_pycapnp(PY_RPC.Message, data)), \
        _without_content(support.read_pycapnp(PY_RPC.Message, again))
    assert ours == theirs


def _without_content(d):
    if isinstance(d, dict):
        return {k: _without_content(v) for k, v in d.items() if k != "content"}
    if isinstance(d, list):
        return [_without_content(x) for x in d]
    return d


# --- params and results, decoded with the example schemas -----------------------------------


def method_of(interface_id: int, ordinal: int):
    iface = APP.nodes[interface_id].interface
    return iface.methods[ordinal]


def conversations():
    """Per recording: every call and return, with the method a return answers."""
    for name in sorted({r[0] for r in RECORDS}):
        pending: dict[tuple[str, int], object] = {}
        for rec in (r for r in RECORDS if r[0] == name):
            msg = codec.decode(Message, rec[4])
            direction = rec[2]
            if msg.which == "call":
                method = method_of(msg.call.interfaceId, msg.call.methodId)
                pending[(direction, msg.call.questionId)] = method
                yield name, msg, method, "params"
            elif msg.which == "bootstrap":
                pending[(direction, msg.bootstrap.questionId)] = "bootstrap"
            elif msg.which == "return" and msg.return_.which == "results":
                asker = "server->client" if direction == "client->server" else "client->server"
                yield name, msg, pending.get((asker, msg.return_.answerId)), "results"
            elif msg.which == "finish":
                pending.pop(("server->client" if direction == "server->client" else "client->server",
                             msg.finish.questionId), None)


def test_params_and_results_decode_with_the_example_schemas():
    seen: dict[str, list] = {}
    for name, msg, method, part in conversations():
        payload = msg.call.params if part == "params" else msg.return_.results
        caps = payload.capTable or []
        if method == "bootstrap":  # the result is the bootstrap capability itself
            assert payload.content.as_cap(caps) is caps[0]
            continue
        struct_id = method.param_struct_type if part == "params" else method.result_struct_type
        value = payload.content.as_struct(codec.struct_class(APP, struct_id), cap_table=caps)
        seen.setdefault(f"{method.name}.{part}", []).append((value, caps))

    threads = seen["construct.params"][0][0].threadMap
    assert threads.which == "senderHosted" and threads.senderHosted == 0
    calc = seen["makeCalculator.params"][0]
    assert calc[0].context.thread is calc[1][0] and calc[0].context.thread.which == "receiverAnswer"
    assert calc[0].context.callbackThread is calc[1][1] and calc[0].print is calc[1][2]
    assert [v.eqn for v, _ in seen["solveEquation.params"]] == ["1+1", "2+2"]
    texts = [v.text for v, _ in seen["print.params"]]
    assert texts == ["Wow 1+1, that's a tough one.\n", "Wow 2+2, that's a tough one.\n"] * 2
    assert seen["makeThread.params"][0][0].name.startswith("mpexample-")
    assert all(v.context.thread.which == "receiverHosted" for v, _ in seen["print.params"])
    assert seen["makeThread.results"][0][0].result.which == "senderHosted"
    assert [v.n for v, _ in seen["ping.params"]] == [1, 1, 5]
    assert [v.n for v, _ in seen["ping.results"]] == [1005]
    assert seen["echoCap.params"][0][0].cap.which in ("senderHosted", "receiverAnswer")


def test_building_a_call_from_scratch_reads_in_pycapnp():
    Call, Target, Payload, Cap = (support.cls_of(RPC, n) for n in ("Call", "MessageTarget", "Payload", "CapDescriptor"))
    params_cls = codec.struct_class(APP, method_of(APP.find("CalculatorInterface").id, 1).param_struct_type)
    Context = support.cls_of(APP, "Context")

    class Table:
        """What an RPC engine passes: exports each capability, describes it in capTable."""

        def __init__(self):
            self.exported, self.descriptors = [], []

        def add(self, obj):
            self.exported.append(obj)
            self.descriptors.append(Cap(senderHosted=100 + len(self.exported)))
            return len(self.descriptors) - 1

    table = Table()
    params = params_cls(context=Context(thread="worker", callbackThread="me"), eqn="1+1")
    # capTable (pointer 1) is written after content (pointer 0) has added its caps.
    payload = Payload(content=params, capTable=table.descriptors)
    msg = Message(call=Call(questionId=0, target=Target(importedCap=3), interfaceId=APP.find("CalculatorInterface").id,
                            methodId=1, params=payload))
    data = codec.encode(msg, cap_table=table)
    assert table.exported == ["worker", "me"]
    d = support.read_pycapnp(PY_RPC.Message, data)
    assert d["call"]["target"] == {"importedCap": 3} and d["call"]["sendResultsTo"] == {"caller": None}
    assert d["call"]["params"]["capTable"] == [{"senderHosted": 101, "attachedFd": 255},
                                               {"senderHosted": 102, "attachedFd": 255}]
    back = codec.decode(Message, data)
    got = back.call.params.content.as_struct(params_cls, cap_table=["W", "M"])
    assert (got.eqn, got.context.thread, got.context.callbackThread) == ("1+1", "W", "M")

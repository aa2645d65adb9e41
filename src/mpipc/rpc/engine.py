"""The two-party RPC protocol state machine (Cap'n Proto rpc.capnp, Level 1), with no I/O.

Frames in (``receive``), events out; actions in (``call``, ``return_results`` ...),
frames out (appended to ``outbox``, which the transport writes in order). The engine
is not thread-safe: its user holds one lock around every method and ``take_outbox``.
Rules quoted as "rpc.capnp:" are from the comments of Cap'n Proto's rpc.capnp.
"""

from __future__ import annotations

import collections
import traceback
import weakref

from .. import codec
from ..errors import DecodeError, Disconnected, ProtocolError, RemoteError
from . import fastpath
from . import messages as M
from .answer import Answer
from .caps import AnswerPipelineCap, BrokenCap, CapRef, ImportCap, ImportEntry, LocalCap, PipelineCap
from .events import Aborted, Embargo, EmbargoLifted, IncomingCall, LocalCall, Returned
from .question import Question
from .tables import IdTable


class _Export:
    __slots__ = ("cap", "refs", "key")

    def __init__(self, cap, key):
        self.cap = cap
        self.refs = 0
        self.key = key


class CapWriter:
    """The cap table of one outgoing message: ``add(obj)`` gives the index of a descriptor."""

    __slots__ = ("engine", "descriptors", "exports", "caps")

    def __init__(self, engine: "RpcEngine"):
        self.engine = engine
        self.descriptors: list = []
        self.exports: list[int] = []
        self.caps: list = []

    def add(self, obj) -> int:
        cap = obj if isinstance(obj, CapRef) else LocalCap(obj)
        self.descriptors.append(self.engine._describe(cap, self.exports))
        self.caps.append(cap)
        return len(self.descriptors) - 1


_SRT_CALLER = "caller"
_SRT_YOURSELF = "yourself"


def exception_to_wire(error: BaseException) -> "M.Exception":
    """A Python exception as rpc.capnp Exception: reason ``TypeName: message``, trace the traceback."""
    if isinstance(error, RemoteError):
        return M.Exception(reason=error.reason, type=M.EXCEPTION_TYPES.get(error.kind, 0),
                           trace=error.remote_traceback or None)
    kind = "disconnected" if isinstance(error, Disconnected) else "failed"
    trace = "".join(traceback.format_exception(error)) if error.__traceback__ else None
    return M.Exception(reason=f"{type(error).__name__}: {error}", type=M.EXCEPTION_TYPES[kind], trace=trace)


def exception_from_wire(exc) -> Exception:
    kind = M.EXCEPTION_NAMES.get(int(exc.type), "failed")
    reason = exc.reason or ""
    if kind == "disconnected":
        return Disconnected(reason)
    return RemoteError(reason, kind, exc.trace or "")


class RpcEngine:
    """One side of one two-party RPC connection."""

    def __init__(self, bootstrap=None, name: str = ""):
        self.name = name
        self.bootstrap_cap = LocalCap(bootstrap) if bootstrap is not None else None
        self.questions = IdTable()
        self.answers: dict[int, Answer] = {}
        self.exports = IdTable()
        self._export_keys: dict[int, int] = {}
        self.imports: dict[int, ImportEntry] = {}
        self.embargoes = IdTable()
        self._finish_optional: set[int] = set()  # answers returned with noFinishNeeded
        self.outbox: list[bytes] = []
        self.error: Exception | None = None
        # Filled from __del__ of capability references (any thread, any time): a deque
        # append is atomic, and the next action under the lock sends what they ask.
        self._pending: collections.deque = collections.deque()
        self.wake = None  # set by the transport: called when _pending gets work
        self.on_export_released = None  # set by the transport: called with a cap the peer let go

    # ------------------------------------------------------------------ outgoing
    def take_outbox(self) -> list[bytes]:
        frames, self.outbox = self.outbox, []
        return frames

    def _send(self, message, writer: CapWriter | None = None) -> bytes:
        frame = codec.encode(message, cap_table=writer)
        self.outbox.append(frame)
        return frame

    def bootstrap(self) -> PipelineCap:
        """Ask for the peer's bootstrap capability; calls may be pipelined on it at once."""
        self._check_alive()
        self.process_pending()
        question = Question()
        question.id = self.questions.add(question)
        question.holders = 0
        self._send(M.Message(bootstrap=M.Bootstrap(questionId=question.id)))
        return self._pipeline(question, ())

    def _pipeline(self, question: Question, transform: tuple) -> PipelineCap:
        if question.pipelines is None:
            question.pipelines = weakref.WeakValueDictionary()
        cap = question.pipelines.get(transform)
        if cap is None:
            cap = PipelineCap(self, question, transform)
            question.pipelines[transform] = cap
            question.holders += 1
        return cap

    def pipeline(self, question: Question, transform: tuple) -> CapRef:
        """The capability at ``transform`` (pointer field indices) of a question's results."""
        if question.ready:
            return self._follow_question(question, transform)
        return self._pipeline(question, tuple(transform))

    def call(self, target: CapRef, interface_id: int, method_id: int, params,
             writer: CapWriter | None = None) -> Question | LocalCall:
        """Call a method; ``params`` is a generated struct instance or a ``codec.AnyPointer``.

        Gives a ``Question`` (wait for its ``Returned`` event, read it, then ``done``) or,
        for a capability that lives in this process, a ``LocalCall`` to run.
        """
        self._check_alive()
        self.process_pending()
        embargo = None
        cap = target
        while True:
            if getattr(cap, "embargo", None) is not None and embargo is None:
                embargo = cap.embargo
            nxt = getattr(cap, "resolution", None)
            if nxt is None:
                break
            cap = nxt
        if isinstance(cap, AnswerPipelineCap):
            resolved = cap.resolved()
            if resolved is cap:
                raise ProtocolError("calling a capability of an answer that has not returned yet")
            cap = resolved
        if cap.engine is not self or isinstance(cap, (LocalCap, BrokenCap)):
            if isinstance(cap, BrokenCap):
                raise cap.error
            return LocalCall(cap, interface_id, method_id, embargo)
        if embargo is not None:
            # A promise that resolved back to the peer cannot be embargoed; the chain's
            # last hop is remote, so order is kept by the peer.
            embargo = None
        return self._send_call(cap, interface_id, method_id, params, writer or CapWriter(self), False)

    def _call_target(self, cap: CapRef):
        """The MessageTarget of a call on ``cap``; a promise remembers it was called through."""
        target = self._message_target(cap)
        cap.calls_made = True
        return target

    def _send_call(self, cap, interface_id, method_id, params, writer, yourself) -> Question:
        question = Question()
        question.id = self.questions.add(question)
        question.yourself = yourself
        try:
            if type(cap) is ImportCap and not yourself:  # the usual call: from a template
                cap.calls_made = True
                self.outbox.append(fastpath.encode_call(question.id, cap.entry.import_id, interface_id,
                                                        method_id, params, writer))
            else:
                call = M.Call(
                    questionId=question.id,
                    target=self._call_target(cap),
                    interfaceId=interface_id,
                    methodId=method_id,
                    params=M.Payload(content=params, capTable=writer.descriptors),
                    sendResultsTo=M.SendResultsTo(which=_SRT_YOURSELF if yourself else _SRT_CALLER),
                )
                self._send(M.Message(call=call), writer)
        except Exception:
            # Params that cannot be encoded: nothing was sent, so nothing is kept.
            self.questions.pop(question.id)
            for export_id in writer.exports:
                self._release_export(export_id, 1)
            raise
        question.param_exports = writer.exports
        return question

    def done(self, question: Question) -> None:
        """The caller is finished with a question's results (or gives up waiting: cancel)."""
        self.process_pending()
        question.holders -= 1
        self._maybe_finish(question)

    def _maybe_finish(self, question: Question) -> None:
        if question.holders > 0 or question.finished:
            return
        if question.returned:
            # The caps of the results were taken into the import table with their own
            # reference counts, so the Finish releases nothing.
            question.finished = True
            self.questions.pop(question.id)
            if not self.error:
                self._send(M.Message(finish=M.Finish(
                    questionId=question.id, releaseResultCaps=False,
                    requireEarlyCancellationWorkaround=False)))
        elif not self.error:
            # rpc.capnp: Finish before Return cancels; the Return still comes.
            question.finished = True
            self._send(M.Message(finish=M.Finish(
                questionId=question.id, releaseResultCaps=True,
                requireEarlyCancellationWorkaround=False)))

    # ------------------------------------------------------------------ answering
    def return_results(self, answer: Answer, value, caps=None) -> list:
        """Answer an incoming call with ``value`` (a generated struct instance, or None).

        ``value`` may be a ``codec.AnyPointer`` whose capability pointers index ``caps``
        (results forwarded from another connection).
        """
        events: list = []
        if answer.returned or self.error:
            return events
        if answer.finished and not answer.redirected:
            # The peer canceled the call: rpc.capnp lets us say so instead of results.
            answer.returned = True
            self.answers.pop(answer.id, None)
            answer.result_caps = []
            self._send(M.Message(return_=M.Return(answerId=answer.id, releaseParamCaps=False, canceled=None, which="canceled")))
            return events
        writer = CapWriter(self)
        try:
            for cap in caps or ():
                writer.add(cap)
            # rpc.capnp: results without capabilities need no Finish (noFinishNeeded);
            # the answer is forgotten now, and a Finish that an older peer sends anyway
            # is ignored (_on_finish).
            no_finish = not caps and not answer.redirected and (
                value is None or not getattr(value, "may_hold_caps", True))
            frame = fastpath.encode_return(answer.id, no_finish, value, writer)
        except Exception:
            # Results that cannot be encoded (a server bug): undo the exports made for
            # them; the answer is still open, for return_exception.
            for export_id in writer.exports:
                self._release_export(export_id, 1)
            raise
        answer.returned = True
        answer.result_caps = writer.caps
        answer.result_exports = writer.exports
        answer.return_frame = frame
        for queued_answer, transform, interface_id, method_id, params, caps in answer.queue:
            cap = self.follow_transform(answer, transform)
            events.extend(self._deliver(queued_answer, cap, interface_id, method_id, params, caps))
        answer.queue = []
        for question in answer.waiting_questions:
            self._take_from_answer(question, answer)
            events.append(Returned(question))
        answer.waiting_questions = []
        if answer.redirected:
            self._send(M.Message(return_=M.Return(answerId=answer.id, releaseParamCaps=False,
                                                  which="resultsSentElsewhere")))
        else:
            self.outbox.append(frame)
        if answer.finished:
            self.answers.pop(answer.id, None)
        elif no_finish:
            answer.finished = True
            self.answers.pop(answer.id, None)
            self._finish_optional.add(answer.id)
        return events

    def return_exception(self, answer: Answer, error: BaseException) -> list:
        """Answer an incoming call with an exception."""
        events: list = []
        if answer.returned or self.error:
            return events
        answer.returned = True
        answer.result_caps = []
        answer.error = error if isinstance(error, Exception) else RemoteError(str(error))
        for queued in answer.queue:
            events.extend(self.return_exception(queued[0], answer.error))
        answer.queue = []
        for question in answer.waiting_questions:
            question.error = answer.error
            question.ready = True
            events.append(Returned(question))
        answer.waiting_questions = []
        self._send(M.Message(return_=M.Return(answerId=answer.id, releaseParamCaps=False,
                                              exception=exception_to_wire(error))))
        if answer.finished:
            self.answers.pop(answer.id, None)
        return events

    # ------------------------------------------------------------------ capabilities
    def _describe(self, cap: CapRef, exports: list[int]):
        """rpc.capnp CapDescriptor for sending ``cap`` to the peer."""
        cap = cap.resolved()
        if cap.engine is self:
            if isinstance(cap, ImportCap):
                return M.CapDescriptor(receiverHosted=cap.entry.import_id)
            if isinstance(cap, PipelineCap):
                return M.CapDescriptor(receiverAnswer=M.promised_answer(cap.question.id, cap.transform))
        export_id = self._export(cap)
        exports.append(export_id)
        return M.CapDescriptor(senderHosted=export_id)

    def _export(self, cap: CapRef) -> int:
        key = id(cap.server) if isinstance(cap, LocalCap) else id(cap)
        export_id = self._export_keys.get(key)
        if export_id is None:
            entry = _Export(cap, key)
            export_id = self.exports.add(entry)
            self._export_keys[key] = export_id
        else:
            entry = self.exports.get(export_id)
        entry.refs += 1
        return export_id

    def _release_export(self, export_id: int, count: int) -> None:
        entry = self.exports.get(export_id)
        if entry is None or count > entry.refs:
            raise ProtocolError(f"Release of export {export_id} by {count}: not held that often")
        entry.refs -= count
        if entry.refs == 0:
            self.exports.pop(export_id)
            del self._export_keys[entry.key]
            if self.on_export_released is not None:
                self.on_export_released(entry.cap)

    def _receive_caps(self, descriptors) -> list:
        return [self._receive_cap(d) for d in descriptors or ()]

    def _receive_cap(self, desc) -> CapRef | None:
        which = desc.which
        if which == "senderHosted":
            return self._import(desc.senderHosted, False)
        if which == "senderPromise":
            return self._import(desc.senderPromise, True)
        if which == "receiverHosted":
            entry = self.exports.get(desc.receiverHosted)
            if entry is None:
                return BrokenCap(ProtocolError(f"receiverHosted names unknown export {desc.receiverHosted}"))
            return entry.cap
        if which == "receiverAnswer":
            pa = desc.receiverAnswer
            answer = self.answers.get(pa.questionId)
            if answer is None:
                return BrokenCap(ProtocolError(f"receiverAnswer names unknown answer {pa.questionId}"))
            transform = M.transform_of(pa)
            if answer.result_caps is None:
                return AnswerPipelineCap(self, answer, transform)
            return self.follow_transform(answer, transform)
        if which == "thirdPartyHosted":
            # Level 3 is not spoken here: rpc.capnp lets us use the vine instead.
            return self._import(desc.thirdPartyHosted.vineId, False)
        return None

    def _import(self, import_id: int, promise: bool) -> ImportCap:
        entry = self.imports.get(import_id)
        cap = entry.cap_ref() if entry is not None and entry.cap_ref is not None else None
        if cap is None:
            entry = ImportEntry(import_id, promise)
            self.imports[import_id] = entry
            cap = ImportCap(self, entry)
            entry.cap_ref = weakref.ref(cap)
        entry.remote_refs += 1
        return cap

    def release(self, cap: CapRef) -> None:
        """The user is done with ``cap``: release what it holds of the peer's, now.

        An import sends its Release; a pipelined capability gives up its hold on the
        question (whose Finish may then go); a resolved promise releases what it
        resolved to as well.
        """
        while cap is not None and getattr(cap, "engine", None) is self:
            nxt = getattr(cap, "resolution", None)
            if isinstance(cap, ImportCap):
                cap.close()
            elif isinstance(cap, PipelineCap) and nxt is None and not cap.dropped:
                cap.dropped = True
                question = cap.question
                if question.pipelines is not None and question.pipelines.get(cap.transform) is cap:
                    del question.pipelines[cap.transform]
                question.holders -= 1
                self._maybe_finish(question)
            cap = nxt

    def release_import(self, cap: ImportCap) -> None:
        """The user closed an import: release every reference the peer gave us."""
        self._release_entry(cap.entry)

    def _release_entry(self, entry: ImportEntry) -> None:
        if self.imports.get(entry.import_id) is entry:
            del self.imports[entry.import_id]
        if entry.remote_refs and not self.error:
            self._send(M.Message(release=M.Release(id=entry.import_id, referenceCount=entry.remote_refs)))
        entry.remote_refs = 0

    def schedule_release(self, entry: ImportEntry) -> None:
        self._pending.append(entry)
        if self.wake is not None:
            self.wake()

    def schedule_pipeline_drop(self, question: Question) -> None:
        self._pending.append(question)
        if self.wake is not None:
            self.wake()

    def process_pending(self) -> None:
        """Send what collected capability references asked for (call with the lock held)."""
        pending = self._pending
        while pending:
            item = pending.popleft()
            if isinstance(item, ImportEntry):
                self._release_entry(item)
            else:
                item.holders -= 1
                self._maybe_finish(item)

    def follow_transform(self, answer: Answer, transform: tuple) -> CapRef:
        """The capability at ``transform`` of one of our answers' results."""
        if answer.error is not None:
            return BrokenCap(answer.error)
        if answer.tail_question is not None:
            return self.pipeline(answer.tail_question, transform)
        content = self._answer_content(answer)
        if content is None:
            return BrokenCap(ProtocolError(f"answer {answer.id} has no results"))
        return self._cap_at(content, transform, answer.result_caps)

    @staticmethod
    def _answer_content(answer: Answer):
        """The results of one of our answers, read back from its Return once needed."""
        if answer.content is None and answer.return_frame is not None:
            msg = codec.decode(M.Message, answer.return_frame)
            answer.content = getattr(msg, M.RETURN).results.content
        return answer.content

    def _follow_question(self, question: Question, transform: tuple) -> CapRef:
        if question.error is not None:
            return BrokenCap(question.error)
        return self._cap_at(question.content, transform, question.result_caps)

    @staticmethod
    def _cap_at(content, transform, caps) -> CapRef:
        try:
            ptr = content
            for index in transform:
                ptr = ptr.get_pointer_field(index)
            index = ptr.as_cap()
        except Exception as exc:  # a transform that does not fit the results
            return BrokenCap(ProtocolError(f"bad pipeline transform {list(transform)}: {exc}"))
        if index is None:
            return BrokenCap(ProtocolError(f"pipeline transform {list(transform)} reaches a null capability"))
        if not 0 <= index < len(caps) or caps[index] is None:
            return BrokenCap(ProtocolError(f"capability index {index} out of the cap table"))
        return caps[index]

    # ------------------------------------------------------------------ incoming
    def receive(self, segments) -> list:
        """Take one frame (its segments) from the peer; give the events it causes."""
        if self.error is not None:
            return []
        try:
            message = self.decode(segments)
        except DecodeError as exc:
            return self.abort(ProtocolError(f"malformed message: {exc}"))
        try:
            return self.handle(message)
        except ProtocolError as exc:
            return self.abort(exc)

    @staticmethod
    def decode(segments):
        """A frame's segments as an rpc.capnp Message (pure: needs no lock)."""
        return codec.decode_segments(M.Message, segments)

    def handle(self, message) -> list:
        """Take one decoded Message; give the events it causes. ProtocolError: abort."""
        if self.error is not None:
            return []
        self.process_pending()
        which = message.which
        handler = self._handlers.get(which)
        if handler is None:
            # rpc.capnp: a message of a type we do not know is echoed back as unimplemented.
            self._send(M.Message(unimplemented=message))
            return []
        return handler(self, getattr(message, M.field_name(which)))

    def abort(self, error: Exception) -> list:
        """Tell the peer the connection is over (Abort) and fail everything outstanding."""
        if self.error is None:
            try:
                self._send(M.Message(abort=exception_to_wire(error)))
            except Exception:
                pass
        return self.disconnect(error)

    def disconnect(self, error: Exception) -> list:
        """The connection is gone: every outstanding question fails with ``error``."""
        if self.error is not None:
            return []
        self.error = error
        events: list = []
        failure = error if isinstance(error, Disconnected) else Disconnected(f"interrupted by disconnect: {error}")
        for _, question in self.questions:
            if not question.ready:
                question.error = failure
                question.ready = True
                question.returned = True
                events.append(Returned(question))
        for _, embargo in self.embargoes:
            embargo.error = failure
            embargo.lifted = True
            events.append(EmbargoLifted(embargo))
        self.embargoes = IdTable()
        self.exports = IdTable()
        self._export_keys.clear()
        self.answers.clear()
        for entry in list(self.imports.values()):
            entry.remote_refs = 0
        self.imports.clear()
        events.append(Aborted(error))
        return events

    def _check_alive(self):
        if self.error is not None:
            raise Disconnected(f"called after disconnect: {self.error}")

    def _on_unimplemented(self, inner) -> list:
        which = inner.which
        if which == "resolve" and inner.resolve.which == "cap":
            desc = inner.resolve.cap
            if desc.which in ("senderHosted", "senderPromise"):
                self._release_export(getattr(desc, desc.which), 1)
        elif which in ("call", "bootstrap"):
            qid = inner.call.questionId if which == "call" else inner.bootstrap.questionId
            question = self.questions.get(qid)
            if question is not None and not question.ready:
                question.returned = question.ready = True
                question.error = RemoteError(f"peer does not implement {which}", "unimplemented")
                # rpc.capnp: an unimplemented Call/Bootstrap needs no Finish.
                question.finished = True
                self.questions.pop(qid)
                return [Returned(question)]
        return []

    def _on_abort(self, exc) -> list:
        return self.disconnect(exception_from_wire(exc))

    def _on_bootstrap(self, boot) -> list:
        answer = self._new_answer(boot.questionId, False)
        if self.bootstrap_cap is None:
            return self.return_exception(answer, RemoteError("no bootstrap capability here", "failed"))
        writer = CapWriter(self)
        index = writer.add(self.bootstrap_cap)
        answer.returned = True
        ret = M.Return(answerId=answer.id, results=M.Payload(content=codec.Cap(index), capTable=writer.descriptors))
        answer.return_frame = self._send(M.Message(return_=ret), writer)
        answer.result_caps = writer.caps
        answer.result_exports = writer.exports
        return []

    def _new_answer(self, qid: int, redirected: bool) -> Answer:
        if qid in self.answers:
            raise ProtocolError(f"question id {qid} is already in use")
        answer = Answer(qid, redirected)
        self.answers[qid] = answer
        self._finish_optional.discard(qid)  # the id is the peer's again: no late Finish for it
        return answer

    def _on_call(self, call) -> list:
        srt = call.sendResultsTo.which
        answer = self._new_answer(call.questionId, srt == _SRT_YOURSELF)
        params = call.params
        caps = self._receive_caps(params.capTable if params is not None else None)
        content = params.content if params is not None else None
        if srt not in (_SRT_CALLER, _SRT_YOURSELF):
            return self.return_exception(answer, RemoteError("third-party call results are not supported", "unimplemented"))
        target = self._target_cap(call.target)
        if target is None:
            return self.return_exception(answer, ProtocolError("call target names an unknown capability"))
        if isinstance(target, Answer):  # pipelined on an answer still running
            transform = M.transform_of(call.target.promisedAnswer)
            target.queue.append((answer, transform, call.interfaceId, call.methodId, content, caps))
            return []
        return self._deliver(answer, target, call.interfaceId, call.methodId, content, caps)

    def _target_cap(self, target):
        """The capability a MessageTarget names, or the Answer still running it is pipelined on."""
        if target.which == "importedCap":
            entry = self.exports.get(target.importedCap)
            return entry.cap if entry is not None else None
        pa = target.promisedAnswer
        answer = self.answers.get(pa.questionId)
        if answer is None:
            return None
        if answer.result_caps is None:
            return answer
        return self.follow_transform(answer, M.transform_of(pa))

    def _deliver(self, answer, cap, interface_id, method_id, params, caps) -> list:
        cap = cap.resolved()
        if isinstance(cap, AnswerPipelineCap):
            cap.answer.queue.append((answer, cap.transform, interface_id, method_id, params, caps))
            return []
        if isinstance(cap, BrokenCap):
            return self.return_exception(answer, cap.error)
        if cap.engine is self:
            # The target lives with the peer itself: hand the call back as a tail call
            # (rpc.capnp: sendResultsTo.yourself), our answer taking its results.
            writer = CapWriter(self)
            for c in caps:
                if c is None:
                    writer.descriptors.append(M.CapDescriptor(which="none"))
                    writer.caps.append(None)
                else:
                    writer.add(c)
            question = self._send_call(cap, interface_id, method_id, params, writer, True)
            question.holders = 0
            question.tail_of_answer = answer
            answer.tail_question = question
            answer.returned = True
            answer.result_caps = []
            self._send(M.Message(return_=M.Return(answerId=answer.id, releaseParamCaps=False,
                                                  takeFromOtherQuestion=question.id)))
            if answer.finished:
                self.answers.pop(answer.id, None)
            return []
        return [IncomingCall(answer, cap, interface_id, method_id, params, caps)]

    def _on_return(self, ret) -> list:
        question = self.questions.get(ret.answerId)
        if question is None:
            raise ProtocolError(f"Return for unknown question {ret.answerId}")
        if question.returned:
            raise ProtocolError(f"second Return for question {ret.answerId}")
        question.returned = True
        if ret.releaseParamCaps:
            for export_id in question.param_exports:
                self._release_export(export_id, 1)
        question.param_exports = []
        events: list = []
        which = ret.which
        if question.finished:  # we canceled it; the peer releases what it sent
            self.questions.pop(question.id)
            return events
        if ret.noFinishNeeded:
            question.finished = True
            self.questions.pop(question.id)
        if which == "results":
            question.result_caps = self._receive_caps(ret.results.capTable)
            question.content = ret.results.content
            question.ready = True
        elif which == "exception":
            question.error = exception_from_wire(ret.exception)
            question.ready = True
        elif which == "canceled":
            question.error = RemoteError("call canceled", "failed")
            question.ready = True
        elif which == "resultsSentElsewhere":
            if not question.yourself:
                raise ProtocolError(f"resultsSentElsewhere for question {question.id} that asked for its results")
            question.ready = True
        elif which == "takeFromOtherQuestion":
            answer = self.answers.get(ret.takeFromOtherQuestion)
            if answer is None or not answer.redirected:
                raise ProtocolError(f"takeFromOtherQuestion names answer {ret.takeFromOtherQuestion} not sent elsewhere")
            if answer.returned:
                self._take_from_answer(question, answer)
            else:
                answer.waiting_questions.append(question)
        else:
            question.error = RemoteError(f"unsupported Return kind {which}", "unimplemented")
            question.ready = True
        if question.ready:
            self._resolve_pipelines(question)
            events.append(Returned(question))
        self._maybe_finish(question)
        return events

    def _take_from_answer(self, question: Question, answer: Answer) -> None:
        if answer.error is not None:
            question.error = answer.error
        else:
            question.content = self._answer_content(answer)
            question.result_caps = list(answer.result_caps or ())
        question.ready = True
        self._resolve_pipelines(question)

    def _resolve_pipelines(self, question: Question) -> None:
        if not question.pipelines:
            return
        for transform, cap in list(question.pipelines.items()):
            if cap.resolution is not None:
                continue
            target = self._follow_question(question, transform)
            self._resolve(cap, target, M.MessageTarget(promisedAnswer=M.promised_answer(question.id, transform)))
            question.holders -= 1

    def _resolve(self, cap, target: CapRef, message_target) -> None:
        """A promise resolved; embargo it when calls went out through it and it now lives here.

        rpc.capnp (Disembargo): calls made on the promise before it resolved must reach
        the target before any made after, so those wait until our Disembargo comes back.
        """
        cap.resolution = target
        final = target.resolved()
        if cap.calls_made and final.engine is not self and not isinstance(final, BrokenCap):
            embargo = Embargo(cap)
            embargo.id = self.embargoes.add(embargo)
            cap.embargo = embargo
            self._send(M.Message(disembargo=M.Disembargo(
                target=message_target, context=M.DisembargoContext(senderLoopback=embargo.id))))

    def _on_finish(self, finish) -> list:
        answer = self.answers.get(finish.questionId)
        if answer is None:
            if finish.questionId in self._finish_optional:  # we said noFinishNeeded
                self._finish_optional.discard(finish.questionId)
                return []
            raise ProtocolError(f"Finish for unknown question {finish.questionId}")
        answer.finished = True
        if finish.releaseResultCaps:
            for export_id in answer.result_exports:
                self._release_export(export_id, 1)
            answer.result_exports = []
        if answer.tail_question is not None:
            question = answer.tail_question
            answer.tail_question = None
            self._maybe_finish(question)
        if answer.returned:
            self.answers.pop(answer.id, None)
        return []

    def _on_resolve(self, resolve) -> list:
        entry = self.imports.get(resolve.promiseId)
        cap = entry.cap_ref() if entry is not None and entry.cap_ref is not None else None
        if resolve.which == "cap":
            target = self._receive_cap(resolve.cap)
            if target is None:
                target = BrokenCap(RemoteError("promise resolved to a null capability"))
        else:
            target = BrokenCap(exception_from_wire(resolve.exception))
        if cap is None or not entry.is_promise:
            return []  # dropped already; the new reference (if any) is released when collected
        self._resolve(cap, target, M.MessageTarget(importedCap=resolve.promiseId))
        # The promise itself is no longer needed: the peer forwards until we release it.
        cap.closed = True
        self._release_entry(entry)
        return []

    def _on_release(self, release) -> list:
        self._release_export(release.id, release.referenceCount)
        return []

    def _on_disembargo(self, dis) -> list:
        which = dis.context.which
        if which == "senderLoopback":
            cap = self._target_cap(dis.target)
            if cap is None or isinstance(cap, Answer):
                raise ProtocolError("Disembargo senderLoopback names no resolved capability")
            cap = cap.resolved()
            if cap.engine is not self or not isinstance(cap, (ImportCap, PipelineCap)):
                raise ProtocolError("Disembargo senderLoopback target does not point back to the sender")
            self._send(M.Message(disembargo=M.Disembargo(
                target=self._message_target(cap),
                context=M.DisembargoContext(receiverLoopback=dis.context.senderLoopback))))
            return []
        if which == "receiverLoopback":
            embargo = self.embargoes.pop(dis.context.receiverLoopback)
            if embargo is None:
                raise ProtocolError(f"Disembargo for unknown embargo {dis.context.receiverLoopback}")
            # The cap keeps its embargo: the user clears it once the calls queued before
            # the lift have been taken (calls made meanwhile must wait too).
            embargo.lifted = True
            return [EmbargoLifted(embargo)]
        self._send(M.Message(unimplemented=M.Message(disembargo=dis)))
        return []

    @staticmethod
    def _message_target(cap: CapRef):
        if isinstance(cap, ImportCap):
            return M.MessageTarget(importedCap=cap.entry.import_id)
        if isinstance(cap, PipelineCap):
            return M.MessageTarget(promisedAnswer=M.promised_answer(cap.question.id, cap.transform))
        raise ProtocolError(f"no message target for {cap!r}")

    _handlers: dict = {}


def _unimplemented_reply(name):
    def handler(engine, body):
        engine._send(M.Message(unimplemented=M.Message(**{M.field_name(name): body})))
        return []
    return handler


RpcEngine._handlers = {
    "unimplemented": RpcEngine._on_unimplemented,
    "abort": RpcEngine._on_abort,
    "bootstrap": RpcEngine._on_bootstrap,
    "call": RpcEngine._on_call,
    "return": RpcEngine._on_return,
    "finish": RpcEngine._on_finish,
    "resolve": RpcEngine._on_resolve,
    "release": RpcEngine._on_release,
    "disembargo": RpcEngine._on_disembargo,
    "provide": _unimplemented_reply("provide"),
    "accept": _unimplemented_reply("accept"),
    "join": _unimplemented_reply("join"),
    "obsoleteSave": _unimplemented_reply("obsoleteSave"),
    "obsoleteDelete": _unimplemented_reply("obsoleteDelete"),
}

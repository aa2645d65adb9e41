"""Implementations of the test schema's interfaces, made on any module of its classes
(the run-time ``mpipc.proxy.load`` one or a module written by ``mpipc-gen``)."""

from __future__ import annotations

import os
import weakref


def implementations(m):
    """The classes implementing ``everything.capnp`` on the classes of module ``m``."""

    live_counters: weakref.WeakSet = weakref.WeakSet()
    state = {"constructed": 0, "destroyed": 0, "kept": None}

    class CounterImpl(m.Counter):
        def __init__(self, start: int):
            self.value = start
            live_counters.add(self)

        def increment(self, by):
            self.value += by
            return self.value

        def get(self):
            return self.value

        def destroy(self):
            state["destroyed"] += 1

    class StoreImpl(m.Store):
        def echo_all(self, value):
            return value

        def add_ints(self, a, b):
            return a + b

        def divide(self, a, b):
            if b == 0:
                raise m.DivideError(m.Failure(code=7, message=f"cannot divide {a} by zero"))
            return a // b, a % b

        def swap(self, a, b):
            return b, a

        def describe(self, count, name):
            return f"{name}: {'no count' if count is None else count}"

        def maybe_half(self, value):
            return value // 2 if value % 2 == 0 else None

        def apply_callback(self, fn, value):
            return fn(value) + 1

        def get_callback(self, factor):
            return lambda value: value * factor

        def make_counter(self, start):
            return CounterImpl(start)

        def bump_counter(self, counter, by):
            # A counter of this process comes back as the very object (no proxy).
            local = 1_000_000 if isinstance(counter, CounterImpl) else 0
            return counter.increment(by) + local

        def shapes(self, shapes):
            return list(reversed(shapes))

        def fail(self, message):
            raise ValueError(message)

        def check_text(self, value):
            if not value.isascii():
                raise m.TextError(f"not ascii: {value!r}")

        def echo_holder(self, holder):
            holder.counter.increment(1)
            holder.callbacks = [lambda v, f=f: f(v) * 10 for f in holder.callbacks]
            return holder

        def get_pid(self):
            return os.getpid()

        def custom_name(self, some_value):
            return some_value * 3

        def keep_callback(self, fn):
            state["kept"] = fn

        def call_kept(self, value):
            return state["kept"](value)

        def echo_data(self, data):
            return data[::-1]

        def color_name(self, color):
            return m.Color(color).name

    class InitImpl(m.Init):
        def construct(self, thread_map):
            state["constructed"] += 1
            return None

        def make_store(self):
            return StoreImpl()

        def relay(self, store, a, b):
            return store.add_ints(a, b), store.get_pid()

        def construct_count(self):
            return state["constructed"]

        def live_counters(self):
            import gc

            gc.collect()
            return len(live_counters), state["destroyed"]

        def call_kept(self, value):
            return state["kept"](value)

    return InitImpl, StoreImpl, CounterImpl, state

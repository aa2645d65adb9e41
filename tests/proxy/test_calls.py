"""Calls through proxies to a child process: every value both ways, calling conventions,
callbacks, interfaces passed around, declared and undeclared exceptions, lifetimes."""

from __future__ import annotations

import gc
import math
import os
import threading

import pytest

import mpipc

from .support import wait_until


def full_value(m):
    value = m.AllTypes(
        b=True, i8=-128, i16=-32768, i32=-(1 << 31), i64=-(1 << 63),
        u8=255, u16=65535, u32=(1 << 32) - 1, u64=(1 << 64) - 1,
        f32=1.5, f64=-math.pi, text="héllo ✓", data=bytes(range(256)), color=m.Color.blue,
        point=m.Point(x=3, y=-4), ints=[0, -1, 1 << 40], texts=["a", "", "ç"],
        points=[m.Point(x=i, y=-i) for i in range(5)], colors=[m.Color.red, m.Color.blue],
        nested=[[1, 2], [], [3]], shape=m.Shape(name="poly", polygon=[m.Point(x=1), m.Point(y=1)]),
        bools=[True, False, True],
    )
    value.group.label = "grouped"
    value.group.weight = 7
    return value


def test_every_type_round_trips(m, store):
    value = full_value(m)
    back = store.echo_all(value)
    assert back == value
    assert back is not value
    assert isinstance(back.color, m.Color) and back.color is m.Color.blue
    assert isinstance(back.colors[1], m.Color)
    assert isinstance(back.data, bytes) and back.group.label == "grouped"
    assert store.echo_all(m.AllTypes()) == m.AllTypes()


def test_unions_and_lists_of_structs(m, store):
    shapes = [m.Shape(name="c", circle=2.0), m.Shape(name="r", rectangle=m.Point(x=2, y=3)),
              m.Shape(name="p", polygon=[m.Point(x=1)]), m.Shape(name="n", which="nothing")]
    back = store.shapes(shapes)
    assert [s.which for s in back] == ["nothing", "polygon", "rectangle", "circle"]
    assert back == shapes[::-1]
    assert back[2].rectangle == m.Point(x=2, y=3) and back[2].circle is None


def test_data_is_bytes_and_accepts_bytes_like(store):
    blob = os.urandom(1 << 16)
    assert store.echo_data(blob) == blob[::-1]
    assert store.echo_data(bytearray(b"abc")) == b"cba"
    assert store.echo_data(memoryview(b"xy")) == b"yx"


def test_out_params_in_out_params_and_optionals(store):
    assert store.add_ints(2, 3) == 5
    assert store.divide(17, 5) == (3, 2)          # result first, then the out-param
    assert store.swap("left", "right") == ("right", "left")  # in/out params
    assert store.describe(None, "x") == "x: no count"  # hasCount false
    assert store.describe(0, "y") == "y: 0"       # hasCount true, even for 0
    assert store.describe(count=4, name="z") == "z: 4"
    assert store.maybe_half(8) == 4
    assert store.maybe_half(7) is None            # hasResult false
    assert store.custom_name(some_value=5) == 15  # $Proxy.name
    assert store.color_name(2) == "blue" and store.color_name(store_color := 1) == "green" and store_color


def test_callable_passed_as_callback(store):
    seen = []

    def double(v):
        seen.append((v, threading.get_ident()))
        return v * 2

    assert store.apply_callback(double, 20) == 41
    assert [v for v, _ in seen] == [20]


def test_received_callback_is_a_plain_callable(store):
    triple = store.get_callback(3)
    assert callable(triple)
    assert triple(5) == 15 and triple(-1) == -3
    # Passed back to its owner, it is the owner's own function again: it still works.
    assert store.apply_callback(triple, 2) == 7


def test_interface_returned_and_passed_back(store):
    counter = store.make_counter(10)
    assert counter.increment(5) == 15 and counter.get() == 15
    # Passed back to its own process, the server gets its own object, not a proxy.
    assert store.bump_counter(counter, 1) == 1_000_016
    counter.close()


def test_local_implementation_passed_to_the_peer(m, store):
    class LocalCounter(m.Counter):
        def __init__(self):
            self.value = 100

        def increment(self, by):
            self.value += by
            return self.value

        def get(self):
            return self.value

    mine = LocalCounter()
    assert store.bump_counter(mine, 5) == 105   # the peer got a proxy, not its own object
    assert mine.value == 105


def test_struct_holding_interfaces_and_callbacks(m, store):
    counter = store.make_counter(0)
    holder = m.Holder(label="h", counter=counter, callbacks=[lambda v: v + 1, lambda v: v * 2])
    back = store.echo_holder(holder)
    assert holder.callbacks[0](1) == 2, "the caller's struct was not changed"
    assert back.label == "h" and counter.get() == 1
    assert [f(3) for f in back.callbacks] == [40, 60]
    assert back.counter.get() == 1
    back.counter.close()
    counter.close()


def test_remote_exception_and_the_server_keeps_serving(store):
    with pytest.raises(mpipc.RemoteError) as info:
        store.fail("it broke")
    error = info.value
    assert error.type_name == "ValueError" and error.message == "it broke"
    assert "raise ValueError(message)" in error.remote_traceback and "impl.py" in error.remote_traceback
    assert store.add_ints(1, 1) == 2
    with pytest.raises(mpipc.RemoteError, match="ZeroDivisionError"):
        store.apply_callback(lambda v: 1 // 0, 1)   # our callback raised: the peer re-raised it
    assert store.add_ints(2, 2) == 4


def test_declared_exceptions_raise_their_type(m, store):
    with pytest.raises(m.DivideError) as info:
        store.divide(7, 0)
    assert info.value.value == m.Failure(code=7, message="cannot divide 7 by zero")
    with pytest.raises(m.TextError) as text_info:
        store.check_text("ç")
    assert text_info.value.value == "not ascii: 'ç'"
    assert store.check_text("fine") is None
    assert store.divide(9, 3) == (3, 0)


def test_wrong_return_value_reaches_the_caller(m, init):
    # Our callback returns a wrong value: its EncodeError names the method and field,
    # travels to the child (which called it) and back to us.
    store = init.make_store()
    with pytest.raises(mpipc.RemoteError,
                       match=r"IntCallback.call\(\) returned a wrong value: result: expected int, got str"):
        store.apply_callback(lambda v: "not an int", 1)
    assert store.add_ints(1, 2) == 3
    store.close()


def test_construct_runs_when_a_client_is_made(m, child):
    first = m.InitClient(child.connection)
    before = first.construct_count()
    second = m.InitClient(child.connection)
    assert second.construct_count() == before + 1
    second.close()
    first.close()
    assert child.connection.peer_thread_map is not None


def test_destroy_on_close_and_on_gc(init):
    count0, destroyed0 = init.live_counters()
    with init.make_store() as store:
        with store.make_counter(1) as counter:
            assert counter.get() == 1
        assert wait_until(lambda: init.live_counters() == (count0, destroyed0 + 1))
        with pytest.raises(mpipc.Disconnected):
            counter.get()
        lost = store.make_counter(2)
        assert init.live_counters()[0] == count0 + 1
        del lost
        gc.collect()
        # Collected without close(): closed on the connection's worker, destroy included.
        assert wait_until(lambda: init.live_counters() == (count0, destroyed0 + 2))


def test_our_own_object_comes_back_as_itself(m, store):
    class Mine(m.Counter):
        value = 0

        def increment(self, by):
            self.value += by
            return self.value

        def get(self):
            return self.value

    mine = Mine()
    back = store.echo_holder(m.Holder(label="x", counter=mine, callbacks=[]))
    assert back.counter is mine and mine.value == 1   # the child called it once, through us


def test_threads_share_one_client(store):
    wrong = []

    def work(k):
        for i in range(20):
            if store.add_ints(k, i) != k + i:
                wrong.append((k, i))

    threads = [threading.Thread(target=work, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads) and wrong == []

"""Three processes: a capability from one child passed on to another reaches the right
process; a callback whose owner is gone raises Disconnected."""

from __future__ import annotations

import time

import pytest

import mpipc

from .support import Child


@pytest.fixture
def two_children():
    a, b = Child(name="to-a"), Child(name="to-b")
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def test_remote_object_passed_on_to_a_third_process(m, two_children):
    a, b = two_children
    with m.InitClient(a.connection) as init_a, m.InitClient(b.connection) as init_b:
        store_a = init_a.make_store()
        assert store_a.get_pid() == a.process.pid
        # b calls a's store through us: the calls reach a.
        assert init_b.relay(store_a, 20, 22) == (42, a.process.pid)
        store_b = init_b.make_store()
        assert init_a.relay(store_b, 1, 2) == (3, b.process.pid)
        # A callback of b's handed to a: a calls b through us.
        triple = store_b.get_callback(3)
        assert store_a.apply_callback(triple, 4) == 13
        store_a.close()
        store_b.close()


def test_callback_after_its_owner_is_gone_raises_disconnected(m):
    child = Child()
    try:
        init = m.InitClient(child.connection)
        store = init.make_store()
        double = store.get_callback(2)
        assert double(21) == 42
        child.kill()
        start = time.monotonic()
        with pytest.raises(mpipc.Disconnected):
            double(1)
        assert time.monotonic() - start < 5
        with pytest.raises(mpipc.Disconnected):
            double(2)
        with pytest.raises(mpipc.Disconnected):
            store.add_ints(1, 2)
        store.close()  # closing after the peer is gone is quiet
        init.close()
    finally:
        child.close()


def test_callback_kept_by_the_peer_after_we_drop_it(m):
    child = Child()
    try:
        with m.InitClient(child.connection) as init:
            store = init.make_store()
            calls = []
            store.keep_callback(lambda v: calls.append(v) or v + 100)
            assert store.call_kept(5) == 105   # the peer holds our function: it stays alive
            assert calls == [5]
            store.close()
    finally:
        assert child.close() == 0

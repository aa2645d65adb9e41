"""spawn / serve_spawned, listen / connect (unix and TCP with a cookie), and their errors."""

from __future__ import annotations

import logging
import os
import signal
import socket
import stat
import sys
import threading
import time

import pytest

import mpipc
from mpipc.connections import connect, fd_from_argv, listen, parse_address, spawn
from mpipc.demo.adder import AdderClient, AdderServer

from ..waiting import alive, wait_until

DEMO_CHILD = [sys.executable, "-m", "mpipc.demo", "--serve"]


@pytest.mark.parametrize("fd_option", [None, "-ipcfd"])
def test_spawn_calls_the_child_and_the_child_exits_when_closed(fd_option):
    child = spawn(DEMO_CHILD, fd_option=fd_option)
    try:
        assert AdderClient(child.connection).add(2, 3) == 5
    finally:
        status = child.close()
    assert status == 0


def test_a_child_killed_mid_call_gives_disconnected_promptly():
    child = spawn(DEMO_CHILD)
    adder = AdderClient(child.connection)
    assert adder.add(1, 1) == 2
    errors = []

    def big_calls():
        try:
            while True:
                adder.echo(b"x" * (4 << 20))
        except mpipc.Disconnected as exc:
            errors.append((time.monotonic(), exc))

    t = threading.Thread(target=big_calls)
    t.start()
    time.sleep(0.2)
    killed = time.monotonic()
    os.kill(child.pid, signal.SIGKILL)
    t.join(5)
    assert errors, "the call in flight did not fail"
    assert errors[0][0] - killed < 1.0
    with pytest.raises(mpipc.Disconnected, match="called after disconnect"):
        adder.add(1, 2)
    assert child.close() == -signal.SIGKILL


def test_spawn_of_a_missing_program_is_a_clear_error(tmp_path):
    with pytest.raises(mpipc.MpipcError, match="cannot start"):
        spawn([str(tmp_path / "no-such-program")])


@pytest.mark.parametrize("style", [["{fd}"], ["-ipcfd", "{fd}"], ["-ipcfd={fd}"], ["-x", "-ipcfd", "{fd}"]])
def test_fd_from_argv(style):
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        assert fd_from_argv([a.format(fd=fd) for a in style]) == fd
    finally:
        os.close(fd)


@pytest.mark.parametrize("argv, message", [([], "expected one fd"), (["x"], "not an fd number"),
                                           (["1", "2"], "expected one fd"), (["987654"], "not open")])
def test_fd_from_argv_errors(argv, message):
    with pytest.raises(mpipc.MpipcError, match=message):
        fd_from_argv(argv)


@pytest.mark.parametrize("address, parsed", [("unix:/a/b", ("unix", "/a/b")),
                                             ("127.0.0.1:80", ("tcp", ("127.0.0.1", 80))),
                                             ("tcp:localhost:1", ("tcp", ("localhost", 1))),
                                             ("[::1]:5", ("tcp", ("::1", 5)))])
def test_parse_address(address, parsed):
    assert parse_address(address) == parsed


@pytest.mark.parametrize("address", ["unix", "unix:", "nohost", "host:", "host:x", "host:70000"])
def test_bad_addresses(address):
    with pytest.raises(mpipc.MpipcError, match="address"):
        parse_address(address)


def test_unix_listener_is_private_and_serves_each_connection(tmp_path, caplog):
    path = str(tmp_path / "s.sock")
    made = []
    with listen(f"unix:{path}", lambda: made.append(AdderServer()) or made[-1]) as listener:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        a, b = connect(f"unix:{path}"), connect(f"unix:{path}")
        try:
            assert AdderClient(a).add(1, 2) == 3 and AdderClient(b).add(3, 4) == 7
            assert len(made) == 2
            # Garbage on a third connection ends that one only.
            raw = socket.socket(socket.AF_UNIX)
            raw.connect(path)
            raw.settimeout(5)
            with caplog.at_level(logging.ERROR, logger="mpipc"):
                raw.sendall(b"\xff" * 64)
                while raw.recv(1 << 16):  # an Abort may come first; then the end
                    pass
            raw.close()
            assert "malformed" in caplog.text or "frame" in caplog.text, caplog.text
            assert AdderClient(a).add(5, 5) == 10
        finally:
            a.close()
            b.close()
        assert len(listener.connections) >= 2
    assert not os.path.exists(path)


def test_a_second_listener_on_a_live_socket_is_refused_and_a_stale_one_replaced(tmp_path):
    path = str(tmp_path / "s.sock")
    with listen(f"unix:{path}", AdderServer):
        with pytest.raises(mpipc.MpipcError, match="in use"):
            listen(f"unix:{path}", AdderServer)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()  # the file stays, nobody listens
    with listen(f"unix:{path}", AdderServer):
        conn = connect(f"unix:{path}")
        assert AdderClient(conn).add(1, 1) == 2
        conn.close()


def test_max_connections(tmp_path, caplog):
    path = str(tmp_path / "s.sock")
    with listen(f"unix:{path}", AdderServer, max_connections=1):
        first = connect(f"unix:{path}")
        assert AdderClient(first).add(1, 1) == 2
        with caplog.at_level(logging.WARNING, logger="mpipc"):
            second = connect(f"unix:{path}")
            with pytest.raises(mpipc.Disconnected):
                AdderClient(second).add(1, 1)
        assert "already 1 connections" in caplog.text
        second.close()
        first.close()


def test_tcp_needs_the_cookie(tmp_path, caplog):
    cookie = str(tmp_path / "cookie")
    with listen("127.0.0.1:0", AdderServer, cookie_file=cookie) as listener:
        assert stat.S_IMODE(os.stat(cookie).st_mode) == 0o600
        address = f"127.0.0.1:{listener.port}"
        conn = connect(address, cookie_file=cookie)
        assert AdderClient(conn).add(20, 22) == 42
        conn.close()
        with pytest.raises(mpipc.MpipcError, match="cookie file"):
            connect(address)
        wrong = tmp_path / "wrong"
        wrong.write_text("00" * 32)
        with caplog.at_level(logging.WARNING, logger="mpipc"):
            with pytest.raises(mpipc.MpipcError, match="refused the cookie"):
                connect(address, cookie_file=str(wrong))
        assert "no valid cookie" in caplog.text


def test_connect_to_nothing_is_a_clear_error(tmp_path):
    with pytest.raises(mpipc.MpipcError, match="cannot connect"):
        connect(f"unix:{tmp_path / 'none.sock'}")


def test_a_parent_killed_during_a_callback_ends_its_child():
    """The child is waiting for a callback's return when its parent is killed: it gets
    Disconnected, and serve_spawned ends the process."""
    import subprocess

    middle = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "middle.py")],
                              stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(middle.stdout.readline())
        assert middle.stdout.readline().strip() == "in callback"
        os.kill(middle.pid, signal.SIGKILL)
        middle.wait(5)
        if not wait_until(lambda: not alive(child_pid), 5):
            os.kill(child_pid, signal.SIGKILL)
            pytest.fail("the child outlived its killed parent by 5 s")
    finally:
        if middle.poll() is None:
            middle.kill()
            middle.wait()


def test_ctrl_c_is_for_the_parent_the_child_ends_when_it_closes():
    """SIGINT to the whole process group (Ctrl-C in a terminal): the spawned child
    ignores it and exits 0 when its parent closes the connection; no traceback."""
    import subprocess

    code = (
        "import sys, time, mpipc\n"
        "from mpipc.demo.adder import AdderClient\n"
        "c = mpipc.spawn([sys.executable, '-m', 'mpipc.demo', '--serve'])\n"
        "try:\n"
        "    print(AdderClient(c.connection).add(1, 2), flush=True)\n"
        "    time.sleep(10)\n"
        "except KeyboardInterrupt:\n"
        "    print('alive', c.process.poll() is None, flush=True)\n"
        "    print('exit', c.close(), flush=True)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert parent.stdout.readline().strip() == "3"
        os.killpg(parent.pid, signal.SIGINT)
        out, err = parent.communicate(timeout=10)
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
            parent.wait()
    assert out.split() == ["alive", "True", "exit", "0"]
    assert err == ""

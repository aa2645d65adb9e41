"""A middle process for the kill tests: spawns the demo child, makes it call back, and
blocks inside the callback; prints the child's pid, then waits to be killed."""

import sys
import threading

import mpipc
from mpipc.demo.adder import AdderClient, CallbackServer

child = mpipc.spawn([sys.executable, "-m", "mpipc.demo", "--serve"])
print(child.pid, flush=True)
blocked = threading.Event()


def stuck(value):
    print("in callback", flush=True)
    blocked.wait()  # until this process is killed
    return value


AdderClient(child.connection).add_with_callback(1, 2, CallbackServer(stuck))

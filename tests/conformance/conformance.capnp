@0xad822d9d9ce7b7d9;
# The interface both sides of the conformance tests serve: mpipc (support.py) and
# pycapnp (peer_capnp.py) implement it alike, so every scenario runs in both directions.

interface Conf {
  ping @0 (n :Int32) -> (n :Int32);
  # Gives n + 1.
  echoData @1 (data :Data) -> (data :Data);
  makeObj @2 (tag :Text) -> (obj :Obj);
  # A new Obj hosted here, counted by liveObjs until released; raises ValueError(tag)
  # when tag starts with "!" (so calls pipelined on its result fail too).
  callObj @3 (obj :Obj, n :Int32) -> (result :Text);
  # Calls obj.get(n) while this call runs and gives what it returned.
  echoCap @4 (obj :Obj) -> (obj :Obj);
  # Gives back the capability it was given.
  fail @5 (message :Text) -> ();
  # Raises ValueError(message).
  callFail @6 (obj :Obj, message :Text) -> (reason :Text);
  # Calls obj.fail(message) and gives the text of the error it got.
  liveObjs @7 () -> (count :Int32);
  # How many Obj made by makeObj on this connection are still alive (after a gc).
  holdObj @8 (obj :Obj) -> ();
  # Keeps obj until dropObj.
  dropObj @9 () -> ();
  callHeld @10 (n :Int32) -> (result :Text);
  # Calls the held obj's get(n).
  slow @11 (ms :UInt32, n :Int32) -> (n :Int32);
  # Sleeps ms milliseconds, then gives n.
  promiseObj @12 (tag :Text, ms :UInt32) -> (obj :Obj);
  # A new Obj (counted like makeObj's). pycapnp returns it at once as a promise
  # (CapDescriptor.senderPromise) that resolves (Resolve) after ms milliseconds;
  # mpipc, which exports no promises, sleeps ms milliseconds and returns it.
  makePair @13 (tag :Text) -> (pair :Pair);
  # Two new Obj inside a struct: pipelining on them takes a two-step transform.
  badResult @14 () -> (n :Int32);
  # The server tries to return a value that is not an Int32 (a server bug):
  # the caller must get an exception, and the connection keep working.
  delayedEcho @15 (obj :Obj, ms :UInt32) -> (obj :Obj);
  # Gives back obj. pycapnp returns at once a promise (senderPromise) that resolves to
  # obj after ms milliseconds; mpipc sleeps ms milliseconds and returns obj.
}

struct Pair {
  label @0 :Text;
  first @1 :Obj;
  second @2 :Obj;
}

interface Obj {
  get @0 (n :Int32) -> (result :Text);
  # Gives "<tag>:<n>" and records n.
  fail @1 (message :Text) -> ();
  # Raises PermissionError(message).
  history @2 () -> (calls :List(Int32));
  # The n of every get so far, in the order they ran.
}

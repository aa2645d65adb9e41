# Annotations and interfaces of libmultiprocess, shipped with mpipc.
#
# Import it as "/mp/proxy.capnp".  Every id and ordinal here is a wire fact shared with
# C++ libmultiprocess (its include/mp/proxy.capnp): a peer built from either file must
# see the same interface, method and struct ids, so never renumber anything.

@0xcc316e3f71a040fb;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("mp");

annotation include @0xb899f3c154fdb458 (file) :Text;
# A header the C++ code generator includes in generated sources (unused by mpipc).

annotation includeTypes @0xbcec15648e8a0cf1 (file) :Text;
# A header declaring the C++ types of the wrapped interfaces (unused by mpipc).

annotation wrap @0xe6f46079b7b1405e (struct, interface) :Text;
# The name of the local class a Cap'n Proto struct or interface stands for.

annotation count @0xd02682b319f69b38 (struct, interface, param) :Int32;
# How many parameters a value takes up; 0 means none (for example a Context).

annotation exception @0x996a183200992f88 (param) :Text;
# A result field that carries an exception of the named type, raised in the caller.

annotation name @0xb594888f63f4dbb9 (field, method) :Text;
# The local name of a field or method when it differs from the schema's.

annotation skip @0x824c08b82695d8dd (field) :Void;
# A field the local side neither reads nor writes.

interface ThreadMap @0xee5e37179ad9dc9d $count(0) {
  # Served by each side of a connection: makes the worker threads that run calls.

  makeThread @0 (name :Text) -> (result :Thread);
  # A new thread in the serving process, dedicated to the calls of one caller thread.

  makePool @1 (count :UInt32) -> ();
  # A pool of threads for calls whose Context names no thread.
}

interface Thread @0x81c1e2600d0b56c5 {
  # A thread of the process that exported it: calls naming it run there.

  getName @0 () -> (result :Text);
}

struct Context @0x9c44e6645d0b22c6 $count(0) {
  # Passed with each call: where to run it and where to send its callbacks.

  thread @0 :Thread;
  # The thread of the receiving process that runs the call.

  callbackThread @1 :Thread;
  # The caller's own thread, which runs the callbacks the call makes.
}

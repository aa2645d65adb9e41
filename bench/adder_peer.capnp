@0xf8b384552684c377;
# The pycapnp peer's interface: the same two methods, ordinals and types as the
# demo's Adder (src/mpipc/demo/adder.capnp), so both send the same calls.

interface Adder {
  add @0 (a :Int32, b :Int32) -> (result :Int32);
  echo @1 (data :Data) -> (data :Data);
}

@0xe3c1a2b4d5f60718;
# The demo and benchmark interface: a small call, a large one, and a callback.

interface Adder {
  add @0 (a :Int32, b :Int32) -> (result :Int32);
  echo @1 (data :Data) -> (data :Data);
  addWithCallback @2 (a :Int32, b :Int32, cb :Callback) -> (result :Int32);
}

interface Callback {
  call @0 (value :Int32) -> (result :Int32);
}

@0xd3a9c5e1b7f20461;
# A test schema for generated proxies: every type, unions, lists of structs,
# optionals, out-params, callbacks, interfaces passed around and a declared exception.

using Proxy = import "/mp/proxy.capnp";

enum Color {
  red @0;
  green @1;
  blue @2;
}

struct Point {
  x @0 :Int32;
  y @1 :Int32;
}

struct Shape {
  name @0 :Text;
  union {
    circle @1 :Float64;
    rectangle @2 :Point;
    polygon @3 :List(Point);
    nothing @4 :Void;
  }
}

struct AllTypes {
  b @0 :Bool;
  i8 @1 :Int8;
  i16 @2 :Int16;
  i32 @3 :Int32;
  i64 @4 :Int64;
  u8 @5 :UInt8;
  u16 @6 :UInt16;
  u32 @7 :UInt32;
  u64 @8 :UInt64;
  f32 @9 :Float32;
  f64 @10 :Float64;
  text @11 :Text;
  data @12 :Data;
  color @13 :Color;
  point @14 :Point;
  ints @15 :List(Int64);
  texts @16 :List(Text);
  points @17 :List(Point);
  colors @18 :List(Color);
  nested @19 :List(List(Int32));
  shape @20 :Shape;
  bools @21 :List(Bool);
  group :group {
    label @22 :Text;
    weight @23 :UInt16;
  }
}

struct Failure {
  code @0 :Int32;
  message @1 :Text;
}

struct Holder {
  label @0 :Text;
  counter @1 :Counter;
  callbacks @2 :List(IntCallback);
}

interface IntCallback {
  destroy @0 (context :Proxy.Context) -> ();
  call @1 (context :Proxy.Context, value :Int32) -> (result :Int32);
}

interface Counter {
  increment @0 (context :Proxy.Context, by :Int32) -> (result :Int64);
  get @1 () -> (result :Int64);
  destroy @2 (context :Proxy.Context) -> ();
}

interface Store {
  echoAll @0 (context :Proxy.Context, value :AllTypes) -> (result :AllTypes);
  addInts @1 (a :Int32, b :Int32) -> (result :Int32);
  divide @2 (a :Int32, b :Int32) -> (result :Int32, remainder :Int32, error :Failure $Proxy.exception("DivideError"));
  swap @3 (a :Text, b :Text) -> (a :Text, b :Text);
  describe @4 (hasCount :Bool, count :UInt32, name :Text) -> (result :Text);
  maybeHalf @5 (value :Int32) -> (result :Int32, hasResult :Bool);
  applyCallback @6 (context :Proxy.Context, fn :IntCallback, value :Int32) -> (result :Int32);
  getCallback @7 (context :Proxy.Context, factor :Int32) -> (result :IntCallback);
  makeCounter @8 (context :Proxy.Context, start :Int64) -> (result :Counter);
  bumpCounter @9 (context :Proxy.Context, counter :Counter, by :Int32) -> (result :Int64);
  shapes @10 (shapes :List(Shape)) -> (result :List(Shape));
  fail @11 (message :Text) -> ();
  checkText @12 (value :Text) -> (error :Text $Proxy.exception("TextError"));
  echoHolder @13 (holder :Holder) -> (result :Holder);
  getPid @14 () -> (result :Int32);
  renamedMethod @15 (someValue :Int32) -> (result :Int32) $Proxy.name("customName");
  keepCallback @16 (fn :IntCallback) -> ();
  callKept @17 (value :Int32) -> (result :Int32);
  echoData @18 (data :Data) -> (data :Data);
  colorName @19 (color :Color) -> (result :Text);
}

interface Init {
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeStore @1 (context :Proxy.Context) -> (result :Store);
  relay @2 (context :Proxy.Context, store :Store, a :Int32, b :Int32) -> (result :Int32, pid :Int32);
  constructCount @3 () -> (result :Int32);
  liveCounters @4 () -> (result :Int32, destroyed :Int32);
  callKept @5 (value :Int32) -> (result :Int32);
}

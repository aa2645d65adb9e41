# One of each kind of schema node, for mpipc.schema's tests.
@0xe1c2b3a4d5f60701;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
$Cxx.namespace("kinds");

annotation note @0xf1e2d3c4b5a69788 (struct, field, enum, enumerant, method, interface) :Text;

const answer @0xe1c2b3a4d5f60702 :Int32 = 42;
const greeting :Text = "hi";
const primes :List(UInt8) = [2, 3, 5];
const origin :Point = (x = 1.5, y = -2.5);

struct Point {
  x @0 :Float64;
  y @1 :Float64;
}

enum Mode $note("modes") {
  off @0;
  on @1 $note("lit");
}

struct Outer $note("outer") {
  struct Nested {
    enum Level { low @0; high @1; }
    level @0 :Level = high;
  }
  nested @0 :Nested;
  mode @1 :Mode = on $note("field");
  shape :union {
    circle @2 :Float32;
    box :group {
      w @3 :UInt16;
      h @4 :UInt16;
    }
  }
  where @5 :Point = (x = 3);
  name @6 :Text $Proxy.name("label");
}

struct Box(T) {
  value @0 :T;
}

struct UsesBox {
  texts @0 :Box(Text);
}

interface Base {
  hello @0 () -> (greeting :Text);
}

interface Derived extends(Base) $note("derived") {
  add @0 (a :Int32, b :Int32) -> (sum :Int32) $note("adds");
  echo @1 Point -> Point;
}

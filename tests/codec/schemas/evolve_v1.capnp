# Version 1 of a schema; evolve_v2.capnp is its next version (same ids).
@0xc4a2e9b7d3f51001;

struct Record @0xd1e2f3a4b5c60001 {
  id @0 :UInt32;
  name @1 :Text;
  values @2 :List(Int32);
  tags @3 :List(Text);
  kind :union {
    plain @4 :Void;
    number @5 :Int64;
  }
}

struct Holder @0xd1e2f3a4b5c60002 {
  records @0 :List(Record);
  single @1 :Record;
}

# Version 2 of evolve_v1.capnp: fields added at the end (data and pointers), a new union
# member, and primitive/Text lists upgraded to lists of structs whose @0 is the old element.
@0xc4a2e9b7d3f51001;

struct Record @0xd1e2f3a4b5c60001 {
  id @0 :UInt32;
  name @1 :Text;
  values @2 :List(Value);
  tags @3 :List(Tag);
  kind :union {
    plain @4 :Void;
    number @5 :Int64;
    label @9 :Text;
  }
  score @6 :Float64 = 0.5;
  note @7 :Text = "none";
  flag @8 :Bool = true;
  extra @10 :List(UInt16);
  big @11 :UInt64 = 12345;
}

struct Value @0xd1e2f3a4b5c60003 {
  v @0 :Int32;
  unit @1 :Text;
}

struct Tag @0xd1e2f3a4b5c60004 {
  text @0 :Text;
  weight @1 :UInt8 = 1;
}

struct Holder @0xd1e2f3a4b5c60002 {
  records @0 :List(Record);
  single @1 :Record;
  count @2 :UInt32 = 3;
}

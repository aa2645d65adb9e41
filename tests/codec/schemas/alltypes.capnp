# Every Cap'n Proto type, for the codec's equivalence tests against pycapnp.
@0xa9d5f1e3c7b21401;

enum Color {
  red @0;
  green @1;
  blue @2;
  return @3;  # a Python keyword
}

struct Inner {
  a @0 :Int32;
  t @1 :Text;
  c @2 :Color = green;
}

struct Empty {}

interface Thing {
  ping @0 (n :UInt32) -> (n :UInt32);
}

struct Chain {
  value @0 :UInt32;
  next @1 :Chain;
  items @2 :List(Chain);
}

struct AllTypes {
  voidField @0 :Void;
  boolField @1 :Bool;
  int8Field @2 :Int8;
  int16Field @3 :Int16;
  int32Field @4 :Int32;
  int64Field @5 :Int64;
  uint8Field @6 :UInt8;
  uint16Field @7 :UInt16;
  uint32Field @8 :UInt32;
  uint64Field @9 :UInt64;
  float32Field @10 :Float32;
  float64Field @11 :Float64;
  textField @12 :Text;
  dataField @13 :Data;
  structField @14 :Inner;
  enumField @15 :Color;
  anyField @16 :AnyPointer;
  capField @17 :Thing;
  emptyField @18 :Empty;

  voidList @19 :List(Void);
  boolList @20 :List(Bool);
  int8List @21 :List(Int8);
  int16List @22 :List(Int16);
  int32List @23 :List(Int32);
  int64List @24 :List(Int64);
  uint8List @25 :List(UInt8);
  uint16List @26 :List(UInt16);
  uint32List @27 :List(UInt32);
  uint64List @28 :List(UInt64);
  float32List @29 :List(Float32);
  float64List @30 :List(Float64);
  textList @31 :List(Text);
  dataList @32 :List(Data);
  structList @33 :List(Inner);
  enumList @34 :List(Color);
  listList @35 :List(List(Int32));
  textListList @36 :List(List(Text));
  structListList @37 :List(List(Inner));
  emptyList @38 :List(Empty);
  capList @39 :List(Thing);

  union {
    uVoid @40 :Void;
    uInt @41 :Int32;
    uText @42 :Text;
    uStruct @43 :Inner;
    uBool @44 :Bool;
    uGroup :group {
      gx @45 :UInt16;
      gy @46 :Text;
    }
  }

  grp :group {
    ga @47 :Int64;
    gb @48 :Bool;
    gc @49 :Text;
    inner :union {
      ia @50 :UInt8;
      ib @51 :List(Int16);
    }
  }

  named :union {
    na @52 :Float32;
    nb @53 :Data;
    nc @54 :Bool;
    nd @55 :Void;
  }

  from @56 :Int32;  # a Python keyword as a field name
  lastBool @57 :Bool;
}

struct Defaults {
  b @0 :Bool = true;
  i8 @1 :Int8 = -5;
  i16 @2 :Int16 = -300;
  i32 @3 :Int32 = -123456;
  i64 @4 :Int64 = -1234567890123;
  u8 @5 :UInt8 = 200;
  u16 @6 :UInt16 = 60000;
  u32 @7 :UInt32 = 4000000000;
  u64 @8 :UInt64 = 0xfedcba9876543210;
  f32 @9 :Float32 = 1.5;
  f64 @10 :Float64 = -2.25;
  t @11 :Text = "hello";
  d @12 :Data = 0x"deadbeef";
  s @13 :Inner = (a = 7, t = "x", c = blue);
  l @14 :List(Int32) = [1, 2, 3];
  tl @15 :List(Text) = ["a", "b"];
  e @16 :Color = blue;
  sl @17 :List(Inner) = [(a = 1), (a = 2, t = "two")];
  bl @18 :List(Bool) = [true, false, true];
  u :union {
    ua @19 :UInt32 = 77;
    ub @20 :Bool = true;
  }
}

@0x893db95f456ed0e3;

using Proxy = import "/mp/proxy.capnp";

interface PrinterInterface @0xaadbfb2ec12e0469 $Proxy.wrap("Printer") {
  destroy @0 (context :Proxy.Context) -> ();
  print @1 (context :Proxy.Context, text :Text) -> ();
}

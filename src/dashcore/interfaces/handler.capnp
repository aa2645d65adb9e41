@0x8c583e5e637c182b;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
$Cxx.namespace("dashcore");

interface Handler $Proxy.wrap("dashcore.interfaces.Handler") {
  destroy @0 (context :Proxy.Context) -> ();
  disconnect @1 (context :Proxy.Context) -> ();
}

@0x99df23e31f4855b9;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
$Cxx.namespace("dashcore");

interface Echo $Proxy.wrap("dashcore.interfaces.Echo") {
  destroy @0 (context :Proxy.Context) -> ();
  echo @1 (context :Proxy.Context, echo :Text) -> (result :Text);
}

# Types shared by the dashcore schemas.

@0xf6996c27f537efb9;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
$Cxx.namespace("dashcore");

struct InterfaceError $Proxy.wrap("dashcore.interfaces.InterfaceError") {
  # An expected failure (Python InterfaceError): carried in a result field named error.
  message @0 :Text;
  code @1 :Int32;
}

struct GlobalArgs $Proxy.count(0) {
  # The parent's command line and config file, given to a spawned process with construct.
  args @0 :List(Text);
  configPath @1 :Text;
}

interface VoidCallback $Proxy.wrap("typing.Callable[[], None]") {
  call @0 (context :Proxy.Context) -> ();
}

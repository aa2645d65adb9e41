@0xb67dbf34061180a9;

using Proxy = import "/mp/proxy.capnp";

interface CalculatorInterface @0x8f2fc29c621a588e $Proxy.wrap("Calculator") {
  destroy @0 (context :Proxy.Context) -> ();
  solveEquation @1 (context :Proxy.Context, eqn :Text) -> ();
}

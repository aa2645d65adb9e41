@0x90a4134463997e90;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
using Common = import "common.capnp";
using Echo = import "echo.capnp";
using Node = import "node.capnp";
using Chain = import "chain.capnp";
using Wallet = import "wallet.capnp";
$Cxx.namespace("dashcore");

interface Init $Proxy.wrap("dashcore.interfaces.Init") {
  # Bootstrapped from a spawned or connected process; a null result means "not provided here".
  construct @0 (threadMap :Proxy.ThreadMap, globalArgs :Common.GlobalArgs) -> (threadMap :Proxy.ThreadMap);
  makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
  makeNode @2 (context :Proxy.Context) -> (result :Node.Node);
  makeChain @3 (context :Proxy.Context) -> (result :Chain.Chain);
  makeWalletLoader @4 (context :Proxy.Context, chain :Chain.Chain) -> (result :Wallet.WalletLoader);
}

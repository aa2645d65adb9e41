@0xc7437166314f0892;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
using Common = import "common.capnp";
using Handler = import "handler.capnp";
$Cxx.namespace("dashcore");

interface NotifyBlockTipCallback $Proxy.wrap("typing.Callable[[int, bytes], None]") {
  call @0 (context :Proxy.Context, height :Int32, blockHash :Data) -> ();
}

interface Node $Proxy.wrap("dashcore.interfaces.Node") {
  destroy @0 (context :Proxy.Context) -> ();
  getNumBlocks @1 (context :Proxy.Context) -> (result :Int32);
  getBestBlockHash @2 (context :Proxy.Context) -> (result :Data);
  getVerificationProgress @3 (context :Proxy.Context) -> (result :Float64);
  getMempoolSize @4 (context :Proxy.Context) -> (result :Int64);
  startShutdown @5 (context :Proxy.Context) -> ();
  shutdownRequested @6 (context :Proxy.Context) -> (result :Bool);
  executeRpc @7 (context :Proxy.Context, command :Text, paramsJson :Text, uri :Text)
      -> (error :Common.InterfaceError $Proxy.exception("dashcore.interfaces.InterfaceError"), result :Text);
  listRpcCommands @8 (context :Proxy.Context) -> (result :List(Text));
  handleNotifyBlockTip @9 (context :Proxy.Context, fn :NotifyBlockTipCallback) -> (result :Handler.Handler);
}

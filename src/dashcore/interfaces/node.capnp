@0xc7437166314f0892;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
using Common = import "common.capnp";
using Handler = import "handler.capnp";
using Wallet = import "wallet.capnp";
$Cxx.namespace("dashcore");

interface NotifyBlockTipCallback $Proxy.wrap("typing.Callable[[int, bytes], None]") {
  call @0 (context :Proxy.Context, height :Int32, blockHash :Data) -> ();
}

interface InitMessageCallback $Proxy.wrap("typing.Callable[[str], None]") {
  call @0 (context :Proxy.Context, message :Text) -> ();
}

interface ShowProgressCallback $Proxy.wrap("typing.Callable[[str, int, bool], None]") {
  call @0 (context :Proxy.Context, title :Text, progress :Int32, resumePossible :Bool) -> ();
}

struct NodeInfo $Proxy.wrap("dashcore.interfaces.NodeInfo") {
  clientVersion @0 :Text;
  network @1 :Text;
  numBlocks @2 :Int32;
  bestBlockHash @3 :Data;
  lastBlockTime @4 :Int64;
  dataDir @5 :Text;
  numConnections @6 :Int32;
  mempoolSize @7 :Int64;
  verificationProgress @8 :Float64 = 1.0;
  initialBlockDownload @9 :Bool;
  startTime @10 :Int64;
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
  appInitMain @10 (context :Proxy.Context)
      -> (error :Common.InterfaceError $Proxy.exception("dashcore.interfaces.InterfaceError"));
  appShutdown @11 (context :Proxy.Context) -> ();
  handleInitMessage @12 (context :Proxy.Context, fn :InitMessageCallback) -> (result :Handler.Handler);
  handleShowProgress @13 (context :Proxy.Context, fn :ShowProgressCallback) -> (result :Handler.Handler);
  handleNotifyHeaderTip @14 (context :Proxy.Context, fn :NotifyBlockTipCallback) -> (result :Handler.Handler);
  getNodeInfo @15 (context :Proxy.Context) -> (result :NodeInfo);
  walletLoader @16 (context :Proxy.Context) -> (result :Wallet.WalletLoader);
}

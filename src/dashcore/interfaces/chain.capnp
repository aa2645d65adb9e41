@0xa5f3cfe2e4fb055f;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
using Handler = import "handler.capnp";
$Cxx.namespace("dashcore");

struct BlockInfo $Proxy.wrap("dashcore.interfaces.BlockInfo") {
  hash @0 :Data;
  prevHash @1 :Data;
  height @2 :Int32 = -1;
  time @3 :UInt32;
  data @4 :Data;
}

struct FoundBlock $Proxy.wrap("dashcore.interfaces.FoundBlock") {
  found @0 :Bool;
  hash @1 :Data;
  height @2 :Int32 = -1;
  time @3 :UInt32;
  medianTimePast @4 :UInt32;
  inActiveChain @5 :Bool;
  data @6 :Data;
  prevHash @7 :Data;
}

struct Coin $Proxy.wrap("dashcore.interfaces.Coin") {
  txid @0 :Data;
  n @1 :UInt32;
  found @2 :Bool;
  value @3 :Int64;
  scriptPubkey @4 :Data;
  height @5 :Int32;
  coinbase @6 :Bool;
}

struct RpcRequest $Proxy.wrap("dashcore.interfaces.RpcRequest") {
  method @0 :Text;
  paramsJson @1 :Text;
  uri @2 :Text;
  authUser @3 :Text;
}

struct RpcReply $Proxy.wrap("dashcore.interfaces.RpcReply") {
  resultJson @0 :Text;
  errorCode @1 :Int32;
  errorMessage @2 :Text;
}

interface RpcActor $Proxy.wrap("typing.Callable[[dashcore.interfaces.RpcRequest], dashcore.interfaces.RpcReply]") {
  # A Python callable on the serving side: the node calls it for each request.
  call @0 (context :Proxy.Context, request :RpcRequest) -> (result :RpcReply);
}

struct RpcCommand $Proxy.wrap("dashcore.interfaces.RpcCommand") {
  category @0 :Text;
  name @1 :Text;
  argNames @2 :List(Text);
  help @3 :Text;
  actor @4 :RpcActor;
}

interface ChainNotifications $Proxy.wrap("dashcore.interfaces.ChainNotifications") {
  destroy @0 (context :Proxy.Context) -> ();
  transactionAddedToMempool @1 (context :Proxy.Context, tx :Data) -> ();
  transactionRemovedFromMempool @2 (context :Proxy.Context, tx :Data, reason :Text) -> ();
  blockConnected @3 (context :Proxy.Context, block :BlockInfo) -> ();
  blockDisconnected @4 (context :Proxy.Context, block :BlockInfo) -> ();
  updatedBlockTip @5 (context :Proxy.Context) -> ();
  chainStateFlushed @6 (context :Proxy.Context, locator :List(Data)) -> ();
}

interface Chain $Proxy.wrap("dashcore.interfaces.Chain") {
  destroy @0 (context :Proxy.Context) -> ();
  getHeight @1 (context :Proxy.Context) -> (result :Int32, hasResult :Bool);
  getBlockHash @2 (context :Proxy.Context, height :Int32) -> (result :Data);
  haveBlockAtHeight @3 (context :Proxy.Context, height :Int32) -> (result :Bool);
  getTipLocator @4 (context :Proxy.Context) -> (result :List(Data));
  findLocatorFork @5 (context :Proxy.Context, locator :List(Data)) -> (result :Int32, hasResult :Bool);
  findBlock @6 (context :Proxy.Context, blockHash :Data, wantData :Bool) -> (result :FoundBlock);
  findCoins @7 (context :Proxy.Context, outpoints :List(Coin)) -> (result :List(Coin));
  isInMempool @8 (context :Proxy.Context, txid :Data) -> (result :Bool);
  hasDescendantsInMempool @9 (context :Proxy.Context, txid :Data) -> (result :Bool);
  broadcastTransaction @10 (context :Proxy.Context, tx :Data, maxTxFee :Int64, relay :Bool) -> (result :Text);
  relayMinFee @11 (context :Proxy.Context) -> (result :Int64);
  estimateFee @12 (context :Proxy.Context, confTarget :Int32) -> (result :Int64);
  isReadyToBroadcast @13 (context :Proxy.Context) -> (result :Bool);
  isInitialBlockDownload @14 (context :Proxy.Context) -> (result :Bool);
  getAdjustedTime @15 (context :Proxy.Context) -> (result :Int64);
  handleNotifications @16 (context :Proxy.Context, notifications :ChainNotifications) -> (result :Handler.Handler);
  requestMempoolTransactions @17 (context :Proxy.Context, notifications :ChainNotifications) -> ();
  waitForNotificationsIfTipChanged @18 (context :Proxy.Context, oldTip :Data) -> ();
  handleRpc @19 (context :Proxy.Context, command :RpcCommand) -> (result :Handler.Handler);
  rpcSerializationFlags @20 (context :Proxy.Context) -> (result :Int32);
  getRwSetting @21 (context :Proxy.Context, name :Text) -> (result :Text);
  updateRwSetting @22 (context :Proxy.Context, name :Text, valueJson :Text) -> (result :Bool);
  initMessage @23 (context :Proxy.Context, message :Text) -> ();
  initWarning @24 (context :Proxy.Context, message :Text) -> ();
  initError @25 (context :Proxy.Context, message :Text) -> ();
  shutdownRequested @26 (context :Proxy.Context) -> (result :Bool);
}

interface ChainClient $Proxy.wrap("dashcore.interfaces.ChainClient") {
  destroy @0 (context :Proxy.Context) -> ();
  registerRpcs @1 (context :Proxy.Context) -> ();
  verify @2 (context :Proxy.Context) -> (result :Bool);
  load @3 (context :Proxy.Context) -> (result :Bool);
  start @4 (context :Proxy.Context) -> ();
  flush @5 (context :Proxy.Context) -> ();
  stop @6 (context :Proxy.Context) -> ();
  setMockTime @7 (context :Proxy.Context, time :Int64) -> ();
}

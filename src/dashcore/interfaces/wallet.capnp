@0xd7ea5b451f402cf2;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
using Common = import "common.capnp";
using Chain = import "chain.capnp";
using Handler = import "handler.capnp";
$Cxx.namespace("dashcore");

struct WalletBalances $Proxy.wrap("dashcore.interfaces.WalletBalances") {
  balance @0 :Int64;
  unconfirmedBalance @1 :Int64;
  immatureBalance @2 :Int64;
}

struct WalletAddress $Proxy.wrap("dashcore.interfaces.WalletAddress") {
  address @0 :Text;
  label @1 :Text;
  isChange @2 :Bool;
}

struct WalletTxOut $Proxy.wrap("dashcore.interfaces.WalletTxOut") {
  txid @0 :Data;
  n @1 :UInt32;
  value @2 :Int64;
  scriptPubkey @3 :Data;
  address @4 :Text;
  depth @5 :Int32;
  coinbase @6 :Bool;
  spendable @7 :Bool;
}

struct WalletTx $Proxy.wrap("dashcore.interfaces.WalletTx") {
  txid @0 :Data;
  tx @1 :Data;
  amount @2 :Int64;
  fee @3 :Int64;
  depth @4 :Int32;
  blockHash @5 :Data;
  blockHeight @6 :Int32 = -1;
  time @7 :Int64;
  isCoinbase @8 :Bool;
  inMempool @9 :Bool;
}

struct PreparedTransaction $Proxy.wrap("dashcore.interfaces.PreparedTransaction") {
  tx @0 :Data;
  txid @1 :Data;
  amount @2 :Int64;
  fee @3 :Int64;
}

struct WalletInfo $Proxy.wrap("dashcore.interfaces.WalletInfo") {
  name @0 :Text;
  txCount @1 :Int32;
  keypoolSize @2 :Int32;
  balances @3 :WalletBalances;
}

interface TransactionChangedCallback $Proxy.wrap("typing.Callable[[bytes], None]") {
  call @0 (context :Proxy.Context, txid :Data) -> ();
}

interface LoadWalletCallback $Proxy.wrap("typing.Callable[[dashcore.interfaces.Wallet], None]") {
  call @0 (context :Proxy.Context, wallet :Wallet) -> ();
}

interface Wallet $Proxy.wrap("dashcore.interfaces.Wallet") {
  destroy @0 (context :Proxy.Context) -> ();
  getWalletName @1 (context :Proxy.Context) -> (result :Text);
  getNewDestination @2 (context :Proxy.Context, label :Text)
      -> (error :Common.InterfaceError $Proxy.exception("dashcore.interfaces.InterfaceError"), result :Text);
  getBalances @3 (context :Proxy.Context) -> (result :WalletBalances);
  getBalance @4 (context :Proxy.Context) -> (result :Int64);
  getAddresses @5 (context :Proxy.Context) -> (result :List(WalletAddress));
  createTransaction @6 (context :Proxy.Context, address :Text, amount :Int64, subtractFee :Bool)
      -> (error :Common.InterfaceError $Proxy.exception("dashcore.interfaces.InterfaceError"), result :Data);
  commitTransaction @7 (context :Proxy.Context, tx :Data)
      -> (error :Common.InterfaceError $Proxy.exception("dashcore.interfaces.InterfaceError"));
  getWalletTxs @8 (context :Proxy.Context) -> (result :List(WalletTx));
  getWalletTx @9 (context :Proxy.Context, txid :Data)
      -> (error :Common.InterfaceError $Proxy.exception("dashcore.interfaces.InterfaceError"), result :WalletTx);
  listCoins @10 (context :Proxy.Context) -> (result :List(WalletTxOut));
  getWalletInfo @11 (context :Proxy.Context) -> (result :WalletInfo);
  remove @12 (context :Proxy.Context) -> ();
  handleUnload @13 (context :Proxy.Context, fn :Common.VoidCallback) -> (result :Handler.Handler);
  handleTransactionChanged @14 (context :Proxy.Context, fn :TransactionChangedCallback) -> (result :Handler.Handler);
  getFeeRate @15 (context :Proxy.Context) -> (result :Int64);
  prepareTransaction @16 (context :Proxy.Context, address :Text, amount :Int64, subtractFee :Bool)
      -> (error :Common.InterfaceError $Proxy.exception("dashcore.interfaces.InterfaceError"), result :PreparedTransaction);
}

interface WalletLoader extends(Chain.ChainClient) $Proxy.wrap("dashcore.interfaces.WalletLoader") {
  createWallet @0 (context :Proxy.Context, name :Text, disablePrivateKeys :Bool, blank :Bool,
                   loadOnStartup :Bool, hasLoadOnStartup :Bool)
      -> (error :Common.InterfaceError $Proxy.exception("dashcore.interfaces.InterfaceError"), result :Wallet);
  loadWallet @1 (context :Proxy.Context, name :Text, loadOnStartup :Bool, hasLoadOnStartup :Bool)
      -> (error :Common.InterfaceError $Proxy.exception("dashcore.interfaces.InterfaceError"), result :Wallet);
  getWalletDir @2 (context :Proxy.Context) -> (result :Text);
  listWalletDir @3 (context :Proxy.Context) -> (result :List(Text));
  getWallets @4 (context :Proxy.Context) -> (result :List(Wallet));
  handleLoadWallet @5 (context :Proxy.Context, fn :LoadWalletCallback) -> (result :Handler.Handler);
}

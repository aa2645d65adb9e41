# A call whose callback waits for another thread of the caller to call the same peer (dashcore:
# a wallet RPC calls Chain.waitForNotifications..., which waits for the node's notification thread).
@0xe1a2b3c4d5e6f708;
using Proxy = import "/mp/proxy.capnp";
interface GInit {
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeWallet @1 (context :Proxy.Context, node :GNode) -> (result :GWallet);
}
interface GWallet {
  rpc @0 (context :Proxy.Context) -> ();
  notify @1 (context :Proxy.Context) -> ();
}
interface GNode {
  sync @0 (context :Proxy.Context) -> ();
}

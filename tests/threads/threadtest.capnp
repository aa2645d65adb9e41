@0xd4e5f6a7b8c9d0e1;

using Proxy = import "/mp/proxy.capnp";

interface TInit {
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeSvc @1 (context :Proxy.Context) -> (result :Svc);
  workerCount @2 () -> (result :Int32);
}

interface Svc {
  whoami @0 (context :Proxy.Context) -> (result :Text);
  sleep @1 (context :Proxy.Context, seconds :Float64, tag :Int32) -> (result :Text);
  callBack @2 (context :Proxy.Context, cb :Cb, depth :Int32) -> (result :Text);
  noContext @3 (x :Int32) -> (result :Int32);
}

interface Cb {
  call @0 (context :Proxy.Context, depth :Int32) -> (result :Text);
}

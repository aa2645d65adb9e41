@0xba5a7448664901b1;
# The example schemas of libmultiprocess, rewritten from their ids and signatures
# (../../shared/wire/README.md), so the recorded frames decode with them.

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
using Calculator = import "calculator.capnp";
using Printer = import "printer.capnp";

interface InitInterface @0xf005d0634bafecf9 $Proxy.wrap("Init") {
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeCalculator @1 (context :Proxy.Context, print :Printer.PrinterInterface) -> (result :Calculator.CalculatorInterface);
  makePrinter @2 (context :Proxy.Context) -> (result :Printer.PrinterInterface);
}

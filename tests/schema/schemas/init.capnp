# The interfaces of libmultiprocess's example programs (mpexample, mpcalculator,
# mpprinter), written for mpipc's tests: the file ids and names are those of the example,
# so every derived id (interfaces, $Params and $Results) is the same on the wire.
@0xba5a7448664901b1;

using Cxx = import "/capnp/c++.capnp";
using Proxy = import "/mp/proxy.capnp";
using Calculator = import "calculator.capnp";
using Printer = import "printer.capnp";

$Proxy.include("init.h");

interface InitInterface $Proxy.wrap("Init") {
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeCalculator @1 (context :Proxy.Context, print :Printer.PrinterInterface) -> (result :Calculator.CalculatorInterface);
  makePrinter @2 (context :Proxy.Context) -> (result :Printer.PrinterInterface);
}

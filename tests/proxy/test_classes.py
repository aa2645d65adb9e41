"""Classes made from a schema: names, conventions, abstract classes, and argument checks before sending."""

from __future__ import annotations

import enum
import inspect
import os

import pytest

import mpipc
from mpipc import proxy
from mpipc.codec import Struct

from .support import RPC_SCHEMAS


@pytest.mark.parametrize("capnp, python", [
    ("solveEquation", "solve_equation"), ("get", "get"), ("getHTTPServer", "get_http_server"),
    ("makeV2Thing", "make_v2_thing"), ("import", "import_"), ("lambda", "lambda_"),
])
def test_python_names(capnp, python):
    assert proxy.python_name(capnp) == python


def test_every_type_has_its_classes(m):
    assert issubclass(m.Store, proxy.Interface) and inspect.isabstract(m.Store)
    assert issubclass(m.StoreClient, m.Store) and issubclass(m.StoreClient, proxy.ProxyClient)
    assert not inspect.isabstract(m.StoreClient)
    assert issubclass(m.StoreServer, proxy.ProxyServer) and m.StoreServer.interface is m.Store
    assert issubclass(m.Point, Struct) and m.Point(x=1).x == 1
    assert issubclass(m.Color, enum.IntEnum) and [c.name for c in m.Color] == ["red", "green", "blue"]
    assert issubclass(m.DivideError, proxy.ProxyException) and issubclass(m.DivideError, mpipc.MpipcError)
    with pytest.raises(AttributeError):
        m.NoSuchType


def test_methods_follow_the_conventions(m):
    names = [n for n in vars(m.Store) if not n.startswith("_")]
    assert "solveEquation" not in names and "add_ints" in names and "echo_all" in names
    assert "custom_name" in names and "renamed_method" not in names  # $Proxy.name
    params = {name: [v.name for v in m.StoreClient._mpipc_spec.methods[name].params]
              for name in ("echo_all", "describe", "apply_callback", "custom_name")}
    assert params == {"echo_all": ["value"],              # the Context is hidden
                      "describe": ["count", "name"],      # hasCount is hidden
                      "apply_callback": ["fn", "value"],
                      "custom_name": ["some_value"]}
    divide = m.StoreClient._mpipc_spec.methods["divide"]
    assert [v.name for v in divide.results] == ["result", "remainder"]
    assert divide.exception_types == (m.DivideError,)


def test_an_implementation_must_implement_every_method(m):
    class Half(m.Counter):
        def increment(self, by):
            return by

    with pytest.raises(TypeError):
        Half()

    class Whole(Half):
        def get(self):
            return 0

    Whole().destroy()  # destroy has a default: nothing to do


def test_example_schemas_of_libmultiprocess():
    ex = proxy.load(os.path.join(RPC_SCHEMAS, "init.capnp"))
    assert [n for n in ("InitInterface", "CalculatorInterface", "PrinterInterface") if not hasattr(ex, n)] == []
    calc = ex.CalculatorInterfaceClient._mpipc_spec.methods
    assert set(calc) == {"destroy", "solve_equation"}
    assert [v.name for v in calc["solve_equation"].params] == ["eqn"]
    init = ex.InitInterfaceClient._mpipc_spec
    assert init.construct is not None and set(init.methods) == {"construct", "make_calculator", "make_printer"}
    assert not ex.InitInterfaceClient._mpipc_spec.is_callback


class _Spy:
    """A connection that fails the test if anything would be sent."""

    def __init__(self):
        self.calls = 0

    def bootstrap(self):
        return object()

    def call(self, *args, **kwargs):
        self.calls += 1
        raise AssertionError("a call was sent")


@pytest.mark.parametrize("method, args, where", [
    ("add_ints", ("1", 2), "Store.add_ints(): a: expected int, got str"),
    ("add_ints", (1, True), "Store.add_ints(): b: expected int, got bool"),
    ("add_ints", (1 << 31, 0), "Store.add_ints(): a: 2147483648 is out of range"),
    ("echo_data", ("text",), "Store.echo_data(): data: expected bytes, got str"),
    ("swap", (b"x", "y"), "Store.swap(): a: expected str, got bytes"),
    ("shapes", ([None, 3],), "Store.shapes(): shapes[1]: expected Shape, got int"),
    ("apply_callback", (5, 1), "Store.apply_callback(): fn: expected IntCallback or a callable, got int"),
    ("bump_counter", (lambda v: v, 1), "Store.bump_counter(): counter: expected Counter, got function"),
    ("color_name", ("red",), "Store.color_name(): color: expected Color, got str"),
])
def test_a_wrong_argument_is_a_type_error_naming_method_and_field(m, method, args, where):
    spy = _Spy()
    client = m.StoreClient(spy, object())
    with pytest.raises(TypeError) as info:
        getattr(client, method)(*args)
    assert where in str(info.value)
    assert isinstance(info.value, mpipc.EncodeError)
    assert spy.calls == 0


def test_wrong_values_deep_inside_a_struct_are_named(m):
    spy = _Spy()
    client = m.StoreClient(spy, object())
    bad = m.AllTypes(points=[m.Point(x=1), m.Point(y="2")])
    with pytest.raises(TypeError, match=r"Store.echo_all\(\): value.points\[1\].y: expected int, got str"):
        client.echo_all(bad)
    shape = m.Shape(name="s", polygon=[m.Point(), 7])
    with pytest.raises(TypeError, match=r"value.shape.polygon\[1\]: expected Point, got int"):
        client.echo_all(m.AllTypes(shape=shape))
    grouped = m.AllTypes()
    grouped.group.weight = -1
    with pytest.raises(TypeError, match=r"value.group.weight: -1 is out of range"):
        client.echo_all(grouped)
    with pytest.raises(TypeError, match=r"missing argument 'b'"):
        client.add_ints(1)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'c'"):
        client.add_ints(1, 2, c=3)
    assert spy.calls == 0


def test_closed_client_raises_disconnected(m):
    spy = _Spy()
    client = m.StoreClient(spy, object())
    client.close()
    with pytest.raises(mpipc.Disconnected):
        client.get_pid()
    assert spy.calls == 0

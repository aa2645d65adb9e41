"""The interfaces: every .capnp schema loads with mpipc, and its methods match the Python abstract classes."""

from __future__ import annotations

import glob
import inspect
import os
import re

import pytest

from dashcore import interfaces
from mpipc import schema

SCHEMAS = sorted(glob.glob(os.path.join(interfaces.SCHEMA_DIR, "*.capnp")))
PAIRS = {
    "Init": interfaces.Init, "Echo": interfaces.Echo, "Handler": interfaces.Handler, "Chain": interfaces.Chain,
    "ChainNotifications": interfaces.ChainNotifications, "ChainClient": interfaces.ChainClient,
    "WalletLoader": interfaces.WalletLoader, "Wallet": interfaces.Wallet, "Node": interfaces.Node,
}
# Methods of the schema that are not Python methods: lifetime hooks handled by mpipc.
LIFETIME = {"construct", "destroy"}


@pytest.fixture(scope="module")
def schemas():
    return schema.load(SCHEMAS, imports=[interfaces.SCHEMA_DIR])


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_every_schema_file_loads(schemas):
    assert len(SCHEMAS) == 7
    names = {schemas.nodes[f].display_name.rsplit("/", 1)[-1] for f in schemas.files}
    assert names == {os.path.basename(p) for p in SCHEMAS}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_schema_methods_match_python_interface(schemas, name):
    node = schemas.find(name)
    assert node.which == "interface"
    methods = {snake(m.name) for m in node.interface.methods} - LIFETIME
    for sup in node.interface.superclasses:
        methods |= {snake(m.name) for m in schemas.nodes[sup.id].interface.methods} - LIFETIME
    cls = PAIRS[name]
    python = {n for n, f in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}
    assert methods == python, f"{name}: only in schema {methods - python}, only in Python {python - methods}"


def test_methods_take_a_context_first(schemas):
    for name in PAIRS:
        for m in schemas.find(name).interface.methods:
            if m.name == "construct":
                continue
            params = schemas.nodes[m.param_struct_type].struct.fields
            assert params and params[0].name == "context", f"{name}.{m.name}"

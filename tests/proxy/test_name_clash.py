"""An interface named ``<Other>Client`` beside ``<Other>``, as Bitcoin's and Dash's chain.capnp have
(``Chain`` and ``ChainClient``): the schema's own names win, and Chain's client class is then
``ChainProxyClient``."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from mpipc import proxy

SCHEMA = """
@0xd1c0ffee12345679;

interface Chain {
  getHeight @0 () -> (result :Int32);
}

interface ChainClient {
  start @0 () -> ();
}

interface Echo {
  echo @0 (text :Text) -> (result :Text);
}
"""

@pytest.fixture
def schema_path(tmp_path):
    path = tmp_path / "clash.capnp"
    path.write_text(SCHEMA)
    return str(path)


def test_schema_names_win_and_the_module_still_loads(schema_path):
    m = proxy.load(schema_path)
    assert inspect.isabstract(m.Echo) and issubclass(m.EchoClient, m.Echo)  # unrelated names unaffected
    assert issubclass(m.ChainClient, proxy.Interface) and "start" in vars(m.ChainClient)  # the schema's own
    assert "get_height" in vars(m.Chain)
    assert issubclass(m.ChainProxyClient, m.Chain) and m.ChainProxyClient.__name__ == "ChainProxyClient"
    assert m.ChainServer.interface is m.Chain  # no clash there: the usual name


def test_mpipc_gen_writes_a_module_for_it(schema_path, tmp_path):
    out = tmp_path / "clash_gen.py"
    r = subprocess.run([sys.executable, "-m", "mpipc.gen", schema_path, "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "class ChainProxyClient(_proxy.ProxyClient, Chain):" in text
    assert "class ChainClient(_proxy.Interface):" in text


def test_the_classes_are_reachable_by_id_meanwhile(schema_path):
    m = proxy.load(schema_path)
    abstract, client, server = m.classes(m.schema.find("Chain").id)
    assert issubclass(client, abstract) and "get_height" in vars(abstract)

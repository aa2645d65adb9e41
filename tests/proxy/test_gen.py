"""mpipc-gen: the written module imports only mpipc, works from another folder (in a child
process too), has the run-time classes, and mypy checks a client written against it."""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from mpipc import gen, proxy

from .support import RPC_SCHEMAS, SCHEMA, Child

SRC = os.path.dirname(os.path.dirname(os.path.abspath(proxy.__file__)))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "everything_gen.py"
    done = subprocess.run([sys.executable, "-m", "mpipc.gen", SCHEMA, "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return str(out)


def import_file(path, name="everything_gen"):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_module_imports_only_mpipc(generated):
    tree = ast.parse(open(generated, encoding="utf-8").read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported - {"__future__", "abc", "enum", "typing"} == {"mpipc"}


def test_module_loads_elsewhere_without_the_schema_parser(generated, tmp_path):
    # Another folder, the .capnp file nowhere near, and the schema loader made to fail.
    shutil.copy(generated, tmp_path / "calc_module.py")
    script = textwrap.dedent("""
        import mpipc.proxy, mpipc.schema
        def refuse(*args, **kwargs):
            raise AssertionError("the schema parser was used")
        mpipc.schema.load = refuse
        import calc_module as e
        assert issubclass(e.Color, __import__("enum").IntEnum)
        print(e.Point(x=1, y=2), sorted(e.StoreClient._mpipc_spec.methods)[:2], e.DivideError.__name__)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Point(x=1, y=2) ['add_ints', 'apply_callback'] DivideError"


def test_generated_classes_are_the_run_time_ones(generated, m):
    e = import_file(generated)
    assert sorted(e.__all__) == sorted(m.names())
    for name in ("Store", "Init", "Counter"):
        spec, run_time = getattr(e, name + "Client")._mpipc_spec, getattr(m, name + "Client")._mpipc_spec
        assert [(x.name, x.interface_id, x.ordinal, [p.name for p in x.params]) for x in spec.methods.values()] == \
               [(x.name, x.interface_id, x.ordinal, [p.name for p in x.params]) for x in run_time.methods.values()]
    assert e.Store.__module__ == "everything_gen"


def test_generated_module_on_both_sides_of_a_connection(generated):
    e = import_file(generated)
    child = Child(generated=generated)
    try:
        with e.InitClient(child.connection) as init:
            store = init.make_store()
            assert store.add_ints(40, 2) == 42
            assert store.apply_callback(lambda v: v * 3, 3) == 10
            with pytest.raises(e.DivideError):
                store.divide(1, 0)
            shapes = store.shapes([e.Shape(name="c", circle=1.0)])
            assert shapes[0].circle == 1.0 and isinstance(shapes[0], e.Shape)
            store.close()
    finally:
        assert child.close() == 0


def test_console_entry_point_and_errors(tmp_path, capsys):
    out = tmp_path / "ex.py"
    assert gen.main([os.path.join(RPC_SCHEMAS, "init.capnp"), "-o", str(out)]) == 0
    ex = import_file(str(out), "ex")
    assert {"InitInterfaceClient", "CalculatorInterfaceClient", "PrinterInterfaceServer"} <= set(ex.__all__)
    assert gen.main([str(tmp_path / "missing.capnp"), "-o", str(tmp_path / "x.py")]) == 1
    assert "schema file not found" in capsys.readouterr().err
    pyproject = open(os.path.join(os.path.dirname(SRC), "pyproject.toml"), encoding="utf-8").read()
    assert 'mpipc-gen = "mpipc.gen:main"' in pyproject


GOOD_CLIENT = """
    from mpipc.transport import Connection
    import everything_gen as e


    class MyCounter(e.Counter):
        def __init__(self) -> None:
            self.n = 0

        def increment(self, by: int) -> int:
            self.n += by
            return self.n

        def get(self) -> int:
            return self.n


    def use(conn: Connection) -> int:
        with e.InitClient(conn) as init:
            store = init.make_store()
            total = store.add_ints(1, 2)
            q, r = store.divide(7, 2)
            a, b = store.swap("x", "y")
            half = store.maybe_half(3)
            if half is not None:
                total += half
            total += store.get_callback(2)(3)
            total += store.apply_callback(lambda v: v + 1, 2)
            total += store.bump_counter(MyCounter(), 1)
            shape = e.Shape(name="s", rectangle=e.Point(x=1, y=2))
            shapes = store.shapes([shape])
            name = store.color_name(e.Color.green)
            try:
                store.divide(1, 0)
            except e.DivideError as exc:
                print(exc.value)
            return total + q + r + len(a + b + name) + len(shapes) + len(store.echo_data(b"x"))
"""

BAD_CLIENT = """
    from mpipc.transport import Connection
    import everything_gen as e


    def use(conn: Connection) -> str:
        store = e.InitClient(conn).make_store()
        store.add_ints("one", 2)
        e.Point(x="1")
        return store.get_pid()
"""


def run_mypy(folder, source, strict):
    path = os.path.join(folder, "client.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(source))
    argv = [sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent",
            "client.py", "everything_gen.py"]
    if strict:
        argv.insert(3, "--strict")
    env = dict(os.environ, MYPYPATH=SRC)
    return subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=300, env=env)


def test_mypy_checks_a_client(generated, tmp_path):
    pytest.importorskip("mypy")
    shutil.copy(generated, tmp_path / "everything_gen.py")
    good = run_mypy(str(tmp_path), GOOD_CLIENT, strict=True)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_mypy(str(tmp_path), BAD_CLIENT, strict=False)
    assert bad.returncode == 1
    assert 'Argument 1 to "add_ints" of "Store" has incompatible type "str"; expected "int"' in bad.stdout
    assert 'Argument "x" to "Point" has incompatible type "str"; expected "int"' in bad.stdout
    assert 'Incompatible return value type (got "int", expected "str")' in bad.stdout

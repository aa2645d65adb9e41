"""Fixtures of the interop tests: libmultiprocess's C++ example programs, started and always reaped."""

from __future__ import annotations

import pytest

from mpipc import proxy

from . import support


@pytest.fixture(scope="session")
def interop_bin() -> str:
    """The folder of the C++ example programs; skips the test when MPIPC_INTEROP_BIN is unset."""
    return support.interop_bin()


@pytest.fixture(scope="session")
def example():
    """The classes of libmultiprocess's example schemas (Init, Calculator, Printer)."""
    return proxy.load(support.SCHEMA)


@pytest.fixture
def cpp_child(interop_bin, tmp_path):
    """``cpp_child("mpcalculator")`` spawns it (a ``support.Child``) in ``tmp_path``; every
    child is closed, or killed, and reaped after the test."""
    children = support.Children(interop_bin, tmp_path)
    try:
        yield children
    finally:
        children.close_all()


@pytest.fixture
def mpexample(interop_bin, tmp_path):
    """``mpexample(calculator, printer)``, each ``"cpp"``, ``"py"`` or a Python file, makes a
    folder and gives an ``ExampleRun`` in it; every process of every run is killed after."""
    runs: list[support.ExampleRun] = []

    def make(calculator: str, printer: str) -> support.ExampleRun:
        folder = tmp_path / f"run-{len(runs)}"
        support.example_folder(interop_bin, folder, calculator, printer)
        run = support.ExampleRun(folder)
        runs.append(run)
        return run

    try:
        yield make
    finally:
        for run in runs:
            run.kill()

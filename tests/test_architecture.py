"""The import rules of design.md, checked on the source: who may import whom.

Everything is imported under one root, ``stockguard`` (``stockguard.sync``, ...): the rules
below speak of the packages by their short names. The packages form a layered graph without
a cycle: ``core`` (vocabulary, store, Amazon client) under everything; ``suppliers``,
``sync`` (the engine) and ``doubles`` (emulator, demo shop, fake APIs) on it;
``cancellations`` on the core and the engine's policy; ``cli``, the composition root, on top.
"""

from __future__ import annotations

import ast
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "sync", "suppliers", "cancellations", "doubles", "cli")
# Which packages each package may import (besides itself).
LAYERS: dict[str, set[str]] = {
    "core": set(),
    "suppliers": {"core"},
    "sync": {"core"},
    "doubles": {"core", "suppliers"},
    "cancellations": {"core", "sync"},
    "cli": {"core", "sync", "suppliers", "cancellations", "doubles"},
}
VOCABULARY = (
    "core.domain", "core.errors", "core.config", "core.clock", "core.i18n", "core.storable"
)  # fmt: skip


def _modules() -> dict[str, set[str]]:
    """Every project module and the absolute modules it imports."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imports: set[str] = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imports.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imports.add(node.module)
            found[name] = imports
    return found


def _bare_imports() -> list[str]:
    """Imports of a project package without the ``stockguard`` root (a second copy of it)."""
    return [
        f"{module} imports {imported}"
        for module, imports in RAW.items()
        for imported in imports
        if imported.split(".")[0] in PACKAGES
    ]


def _short(imports: set[str]) -> set[str]:
    return {i.removeprefix(f"{ROOT_PACKAGE}.") for i in imports}


ROOT_PACKAGE = "stockguard"
RAW = _modules()
MODULES = {module: _short(imports) for module, imports in RAW.items()}


def _package_graph() -> dict[str, set[str]]:
    """Package -> the other packages its modules import."""
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for module, imports in MODULES.items():
        top = module.split(".")[0]
        graph[top] |= {i.split(".")[0] for i in imports if i.split(".")[0] in PACKAGES} - {top}
    return graph


def test_every_import_goes_through_the_stockguard_root() -> None:
    assert _bare_imports() == []


def test_the_package_graph_has_no_cycle() -> None:
    try:
        order = list(TopologicalSorter(_package_graph()).static_order())
    except CycleError as cycle:  # pragma: no cover - the failure message
        pytest.fail(f"package cycle: {cycle.args[1]}")
    assert order[0] == "core"


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_layers_below_it(package: str) -> None:
    offenders = [
        f"{module} imports {imported}"
        for module, imports in MODULES.items()
        if module.split(".")[0] == package
        for imported in imports
        if imported.split(".")[0] in PACKAGES
        and imported.split(".")[0] not in {package, *LAYERS[package]}
    ]
    assert offenders == []


def _violations(prefix: str, allowed: tuple[str, ...]) -> list[str]:
    return [
        f"{module} imports {imported}"
        for module, imports in MODULES.items()
        if module.startswith(prefix)
        for imported in imports
        if imported.split(".")[0] in PACKAGES and not imported.startswith((prefix, *allowed))
    ]


def test_domain_and_errors_import_only_the_standard_library() -> None:
    stdlib = sys.stdlib_module_names
    for module in ("core.domain", "core.errors"):
        outside = {i for i in MODULES[module] if i.split(".")[0] not in stdlib}
        assert not outside, f"{module} imports {outside}"
    storable = {i for i in MODULES["core.storable"] if i.split(".")[0] not in stdlib}
    assert storable == {"core.domain"}  # the suppliers package may import it


def test_suppliers_import_only_the_core_vocabulary() -> None:
    assert _violations("suppliers", VOCABULARY) == []


def test_cancellations_import_core_policy_store_and_gateway_only() -> None:
    allowed = (
        *VOCABULARY, "sync.policy", "core.store", "core.amazon.results", "core.amazon.gateway",
        "core.excel_csv",  # CSV files for Excel (UTF-8 with BOM, CP932): standard library only
    )  # fmt: skip
    assert _violations("cancellations", allowed) == []


def test_only_the_gateway_imports_sp_api() -> None:
    importers = {
        m for m, imports in MODULES.items() if any(i.split(".")[0] == "sp_api" for i in imports)
    }
    assert all(m.startswith("core.amazon.gateway") for m in importers), importers


def test_only_the_dashboard_imports_the_web_framework() -> None:
    web = ("starlette", "uvicorn", "jinja2", "markupsafe")
    importers = {
        m for m, imports in MODULES.items() if any(i.split(".")[0] in web for i in imports)
    }
    assert all(m.startswith("cli.dashboard") for m in importers), importers

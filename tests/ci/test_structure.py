"""The shape docs/DESIGN.md promises, checked: small modules, no import cycle, tests where src is.

- no module in src/callvault is over 500 lines;
- no import cycle among callvault's modules, not even inside a package (lint-imports checks only
  that layers point one way), from the import graph grimp builds (TYPE_CHECKING imports included);
- every folder of tests/callvault stands for a package of src/callvault (the tests mirror src).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "callvault"
MAX_MODULE_LINES = 500


def test_no_module_is_over_500_lines() -> None:
    too_long = {
        str(path.relative_to(SOURCE.parent)): lines
        for path in sorted(SOURCE.rglob("*.py"))
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}, f"split these modules (at most {MAX_MODULE_LINES} lines each): {too_long}"


def test_no_import_cycle() -> None:
    graph = grimp.build_graph("callvault", exclude_type_checking_imports=False, cache_dir=None)
    imports = {
        module: sorted(
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if imported in graph.modules
        )
        for module in graph.modules
    }
    cycles = [_example_cycle(component, imports) for component in _cyclic_components(imports)]
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_test_folders_mirror_source_packages() -> None:
    tests = ROOT / "tests" / "callvault"
    strays = [
        str(folder.relative_to(ROOT))
        for folder in sorted(tests.rglob("*"))
        if folder.is_dir()
        and folder.name != "__pycache__"
        and not (SOURCE / folder.relative_to(tests) / "__init__.py").exists()
    ]
    assert strays == [], f"test folders without a package of src/callvault of the same path: {strays}"


def _cyclic_components(imports: dict[str, list[str]]) -> Iterator[list[str]]:
    """Tarjan's strongly connected components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in imports[module]:
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in on_stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1 or module in imports[module]:
                found.append(sorted(component))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return iter(found)


def _example_cycle(component: list[str], imports: dict[str, list[str]]) -> list[str]:
    """One loop through the component's first module: a shortest way back to it, for the message."""
    start = component[0]
    members = set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for imported in imports[module]:
            if imported == start:
                return [*paths[module], start]
            if imported in members and imported not in paths:
                paths[imported] = [*paths[module], imported]
                queue.append(imported)
    return component

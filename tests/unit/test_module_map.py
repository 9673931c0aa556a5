"""docs/architecture.md lists every package and module of ``lambdas/routing`` and ``trunkline`` (issue 14: a module
map that matches the tree), and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAP = REPO / "docs" / "architecture.md"


def _tree() -> set[str]:
    """Each module as the map names it: ``route/engine.py`` under routing, ``simulator/engine.py`` under trunkline
    (``trunkline/cli.py`` for the top level), a package as its folder (``route/``)."""
    names: set[str] = set()
    for root, top in ((REPO / "lambdas" / "routing", "routing"), (REPO / "trunkline", "trunkline")):
        for path in root.rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            rel = path.relative_to(root)
            if path.name == "__init__.py":
                names.add(f"{top}/" if rel.parent == Path() else f"{rel.parent.as_posix()}/")
            elif rel.parent == Path():
                names.add(f"{top}/{rel.name}")
            else:
                names.add(rel.as_posix())
    return names


def _listed() -> set[str]:
    """The first code span of every ``- `name` — what it is`` line."""
    return set(re.findall(r"^- `([^`]+)` — ", MAP.read_text(encoding="utf-8"), flags=re.MULTILINE))


def test_every_module_is_on_the_map() -> None:
    assert sorted(_tree() - _listed()) == []


def test_the_map_lists_nothing_that_is_gone() -> None:
    assert sorted(_listed() - _tree()) == []

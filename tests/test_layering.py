"""The layering rules of DESIGN.md, checked on the source: dialects translate only (no db,
storage, jobs, media or net), media/ and net/ import nothing from the app, core never imports a
surface, and surfaces never commit (the core operation they call owns the transaction)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "reelbase"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.startswith("reelbase")}


def _files(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


RULES = [
    ("dialects", ("reelbase.db", "reelbase.storage", "reelbase.jobs", "reelbase.media", "reelbase.net")),
    ("media", ("reelbase.",)),
    ("net", ("reelbase.",)),
    ("core", ("reelbase.api", "reelbase.dialects", "reelbase.web", "reelbase.uploads.protocols")),
    ("storage", ("reelbase.core", "reelbase.api", "reelbase.dialects", "reelbase.jobs")),
]


@pytest.mark.parametrize(("package", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_layering_rules_hold(package: str, forbidden: tuple[str, ...]) -> None:
    own = f"reelbase.{package}"
    offenders = []
    for path in _files(package):
        for name in _imports(path):
            if name.startswith(own):
                continue
            if any(name == f.rstrip(".") or name.startswith(f.rstrip(".") + ".") or
                   (f.endswith(".") and name.startswith(f)) for f in forbidden):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_layering_check_sees_imports() -> None:
    # The checker itself must find imports, or the rules above would pass vacuously.
    assert "reelbase.core.runtime" in _imports(SRC / "app.py")


SURFACES = ("api", "dialects", "web", "uploads")


def _commit_calls(path: Path) -> list[int]:
    """Lines that call ``<anything>.commit()``: a session's, a connection's or a transaction's."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]


@pytest.mark.parametrize("package", SURFACES)
def test_surfaces_never_commit(package: str) -> None:
    offenders = [f"{path.relative_to(SRC)}:{line}" for path in _files(package) for line in _commit_calls(path)]
    assert offenders == []


def test_commit_check_sees_commits() -> None:
    # The CLI commits its own steps; if the checker missed those, the rule above would pass vacuously.
    assert _commit_calls(SRC / "cli.py")

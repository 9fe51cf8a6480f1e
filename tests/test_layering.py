"""The layering rules of DESIGN.md, checked on the source: dialects translate only (no db,
storage, jobs, media or net) and import nothing but core, the edge package and their own
package; media/ and net/ import nothing from the app; core never imports a surface; no surface
(api, each dialect, web, the upload protocols) imports another; relative imports count;
and surfaces never commit (the core operation they call owns the transaction)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "reelbase"


def _module_of(path: Path) -> tuple[str, bool]:
    """The dotted name of ``path`` and whether it is a package's ``__init__``."""
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def _imports(path: Path) -> set[str]:
    """Every ``reelbase`` module ``path`` imports, relative imports resolved to absolute names
    (``from . import x`` in a package counts as importing ``<package>.x``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name, is_package = _module_of(path)
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            if node.module:
                found.add(".".join([*base, node.module]))
            else:
                found.update(".".join([*base, alias.name]) for alias in node.names)
    return {name for name in found if name.startswith("reelbase")}


def _files(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


RULES = [
    ("dialects", ("reelbase.db", "reelbase.storage", "reelbase.jobs", "reelbase.media", "reelbase.net")),
    ("media", ("reelbase.",)),
    ("net", ("reelbase.",)),
    ("core", ("reelbase.api", "reelbase.dialects", "reelbase.web", "reelbase.uploads.protocols", "reelbase.edge",
              "reelbase.client")),
    ("storage", ("reelbase.core", "reelbase.api", "reelbase.dialects", "reelbase.jobs")),
    ("edge", ("reelbase.api", "reelbase.dialects", "reelbase.web", "reelbase.uploads", "reelbase.client")),
    ("client", ("reelbase.",)),
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


DIALECTS = sorted(p.name for p in (SRC / "dialects").iterdir() if (p / "__init__.py").is_file())


@pytest.mark.parametrize("dialect", DIALECTS)
def test_dialect_imports_only_core_edge_and_itself(dialect: str) -> None:
    allowed = ("reelbase.core", "reelbase.edge", f"reelbase.dialects.{dialect}")
    offenders = [f"{path.relative_to(SRC)} imports {name}"
                 for path in _files(f"dialects/{dialect}") for name in _imports(path)
                 if not any(_within(name, prefix) for prefix in allowed)]
    assert offenders == []


def _surface_of(module: str) -> str | None:
    """The surface a module belongs to: api, web, uploads (the server's upload protocols), or
    one dialect (``dialects.<name>``; the dialects package's own ``__init__`` only mounts them)."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in ("api", "web", "uploads"):
        return parts[1]
    if len(parts) >= 3 and parts[1] == "dialects":
        return f"dialects.{parts[2]}"
    return None


SURFACES = ["api", "web", "uploads", *(f"dialects.{d}" for d in DIALECTS)]


@pytest.mark.parametrize("surface", SURFACES)
def test_no_surface_imports_another(surface: str) -> None:
    offenders = []
    for path in _files(surface.replace(".", "/")):
        for name in _imports(path):
            other = _surface_of(name)
            if other is not None and other != surface:
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_layering_check_sees_imports() -> None:
    # The checker itself must find imports, or the rules above would pass vacuously.
    assert "reelbase.core.runtime" in _imports(SRC / "app.py")


def test_layering_check_resolves_relative_imports() -> None:
    # routes.py imports its siblings as ``from . import resumable, ...`` and ``from .cors import ...``.
    found = _imports(SRC / "uploads" / "protocols" / "routes.py")
    assert {"reelbase.uploads.protocols.resumable", "reelbase.uploads.protocols.cors"} <= found


def test_surface_check_sees_every_surface() -> None:
    # Each surface must hold modules, or a renamed package would make its rule pass vacuously.
    assert DIALECTS == ["ilos", "integros", "pixop", "sparevideos", "valt"]
    assert all(_files(surface.replace(".", "/")) for surface in SURFACES)


COMMITLESS = ("api", "dialects", "web", "uploads", "edge")


def _commit_calls(path: Path) -> list[int]:
    """Lines that call ``<anything>.commit()``: a session's, a connection's or a transaction's."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]


@pytest.mark.parametrize("package", COMMITLESS)
def test_surfaces_never_commit(package: str) -> None:
    offenders = [f"{path.relative_to(SRC)}:{line}" for path in _files(package) for line in _commit_calls(path)]
    assert offenders == []


def test_commit_check_sees_commits() -> None:
    # The CLI commits its own steps; if the checker missed those, the rule above would pass vacuously.
    assert _commit_calls(SRC / "cli.py")


CORE_FAMILIES = sorted(p.name for p in (SRC / "core").iterdir() if (p / "__init__.py").is_file())
FACADE_USERS = ("api", "dialects", "web", "uploads", "edge", "app.py", "cli.py")


def _facade_users() -> list[Path]:
    return [path for part in FACADE_USERS
            for path in ([SRC / part] if part.endswith(".py") else _files(part))]


def test_surfaces_reach_core_families_through_their_facades() -> None:
    # A family's modules are its own business: a surface names reelbase.core.<family> (or a
    # module directly in core/), never reelbase.core.<family>.<module>, so a family can be
    # rearranged inside without touching any surface.
    offenders = [f"{path.relative_to(SRC)} imports {name}"
                 for path in _facade_users() for name in _imports(path)
                 if name.count(".") >= 3 and name.split(".")[2] in CORE_FAMILIES]
    assert offenders == []


def test_facades_export_what_they_list() -> None:
    import importlib

    for family in CORE_FAMILIES:
        facade = importlib.import_module(f"reelbase.core.{family}")
        assert facade.__all__, family
        missing = [name for name in facade.__all__ if getattr(facade, name, None) is None]
        assert missing == [], family


def test_core_keeps_few_modules_at_its_top() -> None:
    # Everything else lives in a family; a new flat module should find its family instead.
    top = sorted(p.name for p in (SRC / "core").glob("*.py") if p.name != "__init__.py")
    assert CORE_FAMILIES == ["auth", "playback", "uploads", "videos"]
    assert len(top) <= 10, top


def _runtime_imports(path: Path) -> set[str]:
    """The reelbase modules ``path`` imports when it runs, deferred imports inside functions
    included; imports under ``if TYPE_CHECKING:`` are left out (they name a type for the checker
    and never execute, so they cannot make a circle). ``from pkg import name`` counts as
    importing ``pkg.name`` when that is a module of ours."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name, is_package = _module_of(path)
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - (node.level - 1)], *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _module_graph() -> dict[str, set[str]]:
    """Which of our modules each module imports. A module's own enclosing packages are left out:
    Python initialises them before the module anyway, so such an edge is never a circle."""
    modules = {_module_of(path)[0]: path for path in sorted(SRC.rglob("*.py"))}
    return {name: {m for m in _runtime_imports(path) if m in modules and m != name and not name.startswith(m + ".")}
            for name, path in modules.items()}


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (as the modules along it), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := walk(start)):
            return found
    return None


def test_no_import_circles() -> None:
    # Deferred imports inside functions count: they hide a circle rather than remove it. An
    # optional ability is offered by the module that has it (a storage backend's
    # resumable_writes()), so the module defining the ability never imports its users back.
    assert _circle(_module_graph()) is None


def test_circle_check_finds_circles() -> None:
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert "reelbase.storage.resumable_local" in _module_graph()["reelbase.storage.local"]

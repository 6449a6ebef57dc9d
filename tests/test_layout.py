"""Architecture: the library's layout rules, checked on the source (``ast``), so a break names its line.

- Each subpackage of ``planner`` (``capacity``, ``solve``, ``refine``, ``outputs``, ``ingest``) has one
  public face, its ``__init__``: code outside the subpackage imports only the names its ``__all__``
  lists, never one of its modules (``planner.capacity.inputs``). Tests of internals may; they are not
  checked here.
- Nothing in ``planner`` imports ``streamlit``: the library runs without the app.
- Every face has ``__all__``, and every name in it can be imported.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLANNER = ROOT / "planner"
SUBPACKAGES = sorted(path.parent.name for path in PLANNER.glob("*/__init__.py"))
CHECKED = sorted([*PLANNER.rglob("*.py"), *(ROOT / "pages").rglob("*.py")])


def module_name(path: Path) -> str:
    """``planner/capacity/inputs.py`` -> ``planner.capacity.inputs``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def face_names(subpackage: str) -> list[str] | None:
    """The names in the ``__all__`` of ``planner/<subpackage>/__init__.py`` (``None``: it has none)."""
    tree = ast.parse((PLANNER / subpackage / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return None


def imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str, str | None, str]]:
    """Every import in ``tree`` (functions' too): line, absolute module, name taken from it, source text."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            text = f"from {'.' * node.level}{node.module or ''} import {', '.join(a.name for a in node.names)}"
            for alias in node.names:
                yield node.lineno, base, alias.name, text


def layout_violations(path: Path, source: str, faces: dict[str, list[str] | None]) -> list[str]:
    """What ``source`` (the file at ``path``) imports against the layout rules, one line each."""
    module = module_name(path)
    own = module.split(".")[1] if module.startswith("planner.") else None
    in_library = module.split(".")[0] == "planner"
    where = path.relative_to(ROOT)
    found = []
    for line, imported, name, text in imports(ast.parse(source), module, path.name == "__init__.py"):
        place = f"{where}:{line}: {text}"
        parts = imported.split(".")
        if in_library and parts[0] == "streamlit":
            found.append(f"{place}: the library must not import streamlit (only pages/ and app.py may)")
            continue
        if parts[0] != "planner" or len(parts) < 2 or parts[1] not in faces or parts[1] == own:
            continue
        face = f"planner.{parts[1]}"
        if len(parts) > 2:
            found.append(f"{place}: {imported} is private to {face}; import from {face} instead")
        elif name is not None and name not in (faces[parts[1]] or []):
            found.append(f"{place}: {name!r} is not in {face}.__all__; import only its public names")
    return found


def test_the_subpackages_are_found() -> None:
    assert {"capacity", "ingest", "outputs", "refine", "solve"} <= set(SUBPACKAGES)
    assert len(CHECKED) > len(SUBPACKAGES) * 2


def test_code_outside_a_subpackage_imports_only_its_face_and_the_library_never_streamlit() -> None:
    faces = {name: face_names(name) for name in SUBPACKAGES}
    found = [
        problem for path in CHECKED for problem in layout_violations(path, path.read_text(encoding="utf-8"), faces)
    ]
    assert not found, "layout rules broken:\n" + "\n".join(found)


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_every_face_has_all_and_each_name_imports(subpackage: str) -> None:
    names = face_names(subpackage)
    assert names is not None, f"planner/{subpackage}/__init__.py has no __all__: list its public names"
    assert len(names) == len(set(names)), f"planner/{subpackage}/__init__.py: __all__ lists a name twice"
    face = importlib.import_module(f"planner.{subpackage}")
    missing = [name for name in names if not hasattr(face, name)]
    assert not missing, f"planner/{subpackage}/__init__.py: __all__ names {missing}, which do not import"
    private = [name for name in names if isinstance(getattr(face, name), type(face))]
    assert not private, f"planner/{subpackage}/__init__.py: __all__ names the modules {private}, not public names"


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("pages/plan.py", "from planner.capacity.inputs import match_key", "planner.capacity.inputs is private"),
        ("planner/refine/checks.py", "import planner.capacity.contention", "private to planner.capacity"),
        ("planner/refine/checks.py", "from planner.capacity import inputs", "'inputs' is not in planner.capacity"),
        ("planner/refine/agenda.py", "from ..capacity.ledger import day_grid", "planner.capacity.ledger is private"),
        ("planner/cli.py", "def f():\n    from planner.solve.model import solve", "planner.solve.model is private"),
        ("planner/cells.py", "import streamlit as st", "must not import streamlit"),
        ("planner/refine/agenda.py", "from streamlit.testing.v1 import AppTest", "must not import streamlit"),
    ],
)
def test_the_checker_names_file_line_and_import(path: str, source: str, expected: str) -> None:
    faces = {name: face_names(name) for name in SUBPACKAGES}
    [problem] = layout_violations(ROOT / path, source, faces)
    assert problem.startswith(f"{path}:") and expected in problem, problem


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("planner/capacity/compute.py", "from planner.capacity.inputs import read_ranges"),  # its own modules
        ("planner/capacity/compute.py", "from .inputs import read_ranges"),
        ("pages/capacity.py", "import streamlit as st\nfrom planner.capacity import compute_capacity"),
        ("planner/refine/checks.py", "from planner.capacity import contention"),  # the face's function
        ("planner/cli.py", "from planner.schema import CapacityTables\nimport planner.solve"),
    ],
)
def test_the_checker_lets_allowed_imports_pass(path: str, source: str) -> None:
    faces = {name: face_names(name) for name in SUBPACKAGES}
    assert layout_violations(ROOT / path, source, faces) == []

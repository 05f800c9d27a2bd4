"""The layers point one way, read from the code's own imports (`ast`, no importing):

    serving  →  matching, fairness, training  →  features  →  data

`serving` may import everything; `matching`, `fairness` and `training` may import `features`
and `data` but not one another (matching hands its re-ranking to `serving`, which wires
`fairness` in; fairness gets the explainer and the models' views handed in); `features` imports
only `data`; `data` imports none of them. Beyond the layers: no import cycles among the
project's modules; no SQL statement (`select`, `insert`, `update`, `delete`, `text`, `func`)
outside `data/storage/` and `data/migrations/`; the demographics table is read only through
`fairness/demographics.py`; and the server does not load the demo-company simulator.

A forbidden import fails with the file and the import named; `test_the_checker_catches_...`
shows each rule failing on a synthetic tree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("data", "features", "matching", "training", "fairness", "serving")
ALLOWED = {
    "data": set(),
    "features": {"data"},
    "matching": {"features", "data"},
    "fairness": {"features", "data"},
    "training": {"features", "data"},
    "serving": set(PACKAGES),
}
SQL_NAMES = {"select", "insert", "update", "delete", "text", "func"}
SQL_HOMES = ("data/storage/", "data/migrations/")
DEMOGRAPHICS_TABLE = "data.storage.demographics"
DEMOGRAPHICS_READER = "fairness/demographics.py"
SERVER_ENTRY = "serving.app"
NOT_IN_THE_SERVER = "data.demo"


@dataclass(frozen=True)
class Import:
    file: str  # relative path
    module: str  # the importing module
    target: str  # the imported module (or module.name)
    line: int
    top_level: bool  # at module level (not inside a function), TYPE_CHECKING excluded
    names: tuple[str, ...] = ()


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(root: Path, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = module_name(root, path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    relative = path.relative_to(root).as_posix()

    def walk(nodes: list[ast.stmt], top: bool) -> Iterator[Import]:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(relative, module, alias.name, node.lineno, top)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                names = tuple(a.name for a in node.names)
                yield Import(relative, module, base, node.lineno, top, names)
            elif isinstance(node, ast.If) and _type_checking(node):
                yield from walk(node.body, False)
                yield from walk(node.orelse, top)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(node.body, False)
            elif isinstance(node, ast.ClassDef | ast.If | ast.With | ast.Try):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, field, []):
                        body = child.body if isinstance(child, ast.ExceptHandler) else [child]
                        yield from walk(body, top)

    yield from walk(tree.body, True)


def project_imports(root: Path) -> list[Import]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found.extend(imports_of(root, path))
    return found


def layer_violations(root: Path) -> list[str]:
    problems = []
    for imp in project_imports(root):
        source = imp.module.split(".")[0]
        target = imp.target.split(".")[0]
        if target in PACKAGES and target != source and target not in ALLOWED[source]:
            problems.append(f"{imp.file}:{imp.line} imports {imp.target} ({source} → {target})")
    return problems


def sql_outside_storage(root: Path) -> list[str]:
    problems = []
    for imp in project_imports(root):
        if imp.file.startswith(SQL_HOMES) or not imp.target.startswith("sqlalchemy"):
            continue
        sql = sorted(SQL_NAMES & set(imp.names))
        if sql:
            problems.append(f"{imp.file}:{imp.line} imports {', '.join(sql)} from {imp.target}")
    return problems


def demographics_readers(root: Path) -> list[str]:
    return [
        f"{imp.file}:{imp.line} imports {DEMOGRAPHICS_TABLE}"
        for imp in project_imports(root)
        if imp.file != DEMOGRAPHICS_READER
        and (
            imp.target == DEMOGRAPHICS_TABLE
            or (imp.target == "data.storage" and "demographics" in imp.names)
        )
    ]


def _graph(root: Path) -> dict[str, set[str]]:
    """Module-level import edges between the project's modules (lazy and TYPE_CHECKING
    imports left out: they do not run when the module loads)."""
    modules = {module_name(root, p) for package in PACKAGES for p in (root / package).rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in project_imports(root):
        if not imp.top_level:
            continue
        candidates = [imp.target, *(f"{imp.target}.{n}" for n in imp.names)]
        for candidate in candidates:
            if candidate in modules and candidate != imp.module:
                graph[imp.module].add(candidate)
    return graph


def import_cycles(root: Path) -> list[str]:
    graph, cycles = _graph(root), []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def loaded_by(root: Path, entry: str) -> set[str]:
    """Every project module `entry` loads at import time (its module-level imports, closed)."""
    graph, seen, todo = _graph(root), set(), [entry]
    while todo:
        module = todo.pop()
        if module in seen or module not in graph:
            continue
        seen.add(module)
        parents = module.split(".")
        todo.extend(".".join(parents[:i]) for i in range(1, len(parents)))  # package __init__s
        todo.extend(graph[module])
    return seen


# ---------------------------------------------------------------------------- the rules, here


def test_layers_point_one_way() -> None:
    assert layer_violations(ROOT) == []


def test_no_sql_statement_outside_storage() -> None:
    assert sql_outside_storage(ROOT) == []


def test_only_the_fairness_reader_touches_demographics() -> None:
    assert demographics_readers(ROOT) == []


def test_no_import_cycles() -> None:
    assert import_cycles(ROOT) == []


def test_the_server_does_not_load_the_demo_simulator() -> None:
    loaded = loaded_by(ROOT, SERVER_ENTRY)
    assert "serving.routes.employees" in loaded and "matching.engine" in loaded  # it sees them
    assert sorted(m for m in loaded if m.startswith(NOT_IN_THE_SERVER)) == []


# ---------------------------------------------------------------------------- the checker itself


def _tree(root: Path, files: dict[str, str]) -> Path:
    for package in PACKAGES:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "check", "expected"),
    [
        (
            {
                "data/model.py": "from matching.engine import MatchEngine\n",
                "matching/engine.py": "",
            },
            layer_violations,
            "data/model.py:1 imports matching.engine (data → matching)",
        ),
        (
            {"fairness/report.py": "import training.ranker\n", "training/ranker.py": ""},
            layer_violations,
            "fairness/report.py:1 imports training.ranker (fairness → training)",
        ),
        (
            {
                "matching/serve.py": "from fairness.rerank import serve_order\n",
                "fairness/rerank.py": "",
            },
            layer_violations,
            "matching/serve.py:1 imports fairness.rerank (matching → fairness)",
        ),
        (
            {"serving/routes/stats.py": "from sqlalchemy import func, select\n"},
            sql_outside_storage,
            "serving/routes/stats.py:1 imports func, select from sqlalchemy",
        ),
        (
            {"matching/rank.py": "from data.storage import demographics\n"},
            demographics_readers,
            "matching/rank.py:1 imports data.storage.demographics",
        ),
        (
            {"matching/a.py": "from matching import b\n", "matching/b.py": "import matching.a\n"},
            import_cycles,
            "matching.a → matching.b → matching.a",
        ),
    ],
    ids=["data-up", "fairness-training", "matching-fairness", "sql", "demographics", "cycle"],
)
def test_the_checker_catches_a_forbidden_import_in_a_synthetic_tree(
    tmp_path: Path, files: dict[str, str], check: object, expected: str
) -> None:
    root = _tree(tmp_path, files)
    found = check(root)  # type: ignore[operator]
    assert expected in found, found


def test_the_checker_lets_allowed_and_lazy_imports_through(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "serving/app.py": "import matching.engine\nfrom data.schemas import Role\n",
            "matching/engine.py": "from features.registry import X\n",
            "features/registry.py": "from data.schemas import Y\n",
            "data/schemas.py": "",
            "training/cold.py": "def build():\n    from data.demo import company\n",
            "data/demo/company.py": "",
            "data/storage/audit.py": "from sqlalchemy import select, text\n",
        },
    )
    assert layer_violations(root) == [] and sql_outside_storage(root) == []
    assert "data.demo.company" not in loaded_by(root, "serving.app")

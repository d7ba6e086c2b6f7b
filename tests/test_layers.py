"""The package's import rules, checked on the source with an ``ast`` walk.

Every ``import x`` and ``from x import y`` counts, at module level and inside functions
(``if TYPE_CHECKING:`` imports count for the layers, not for cycles or the jobflow rule:
they never run). The rules (issue 16, ../shared/style.md §1):

- Layers, top to bottom: cli -> {studies, hpc} -> workflows -> {analysis, structures,
  potentials} -> {errors, units, defaults, provenance}. A package imports packages of lower
  layers; across packages of one layer only the pairs of ``WITHIN_LAYER`` are allowed.
- ``db`` is infrastructure: studies, hpc, workflows and cli may import it; it imports only
  the bottom layer (and jobflow/maggma). ``analysis`` imports neither db nor workflows.
- No import of another package's private module (``lithiophilic.x._y`` from outside x).
- No import cycle between lithiophilic modules.
- jobflow (and jobflow-remote) is imported only in workflows/, studies/, hpc/ and db/.

Each test prints every violation with its file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "lithiophilic"

#: Rank of each top-level unit: a unit may import units of a lower rank.
LAYERS: dict[str, int] = {
    "lithiophilic": 0,  # the root package: __version__ only
    "errors": 0,
    "units": 0,
    "defaults": 0,
    "provenance": 0,
    "analysis": 1,
    "structures": 1,
    "potentials": 1,
    "workflows": 2,
    "studies": 3,
    "hpc": 3,
    "cli": 4,
    "__main__": 5,
}
BOTTOM = {unit for unit, rank in LAYERS.items() if rank == 0}
#: Units that may import db (infrastructure); db itself imports only the bottom layer.
DB_USERS = {"studies", "hpc", "workflows", "cli"}
#: Imports allowed between different units of the same layer, each with its reason.
WITHIN_LAYER: dict[tuple[str, str], str] = {
    ("provenance", "lithiophilic"): "the package version stamped on every document",
    ("potentials", "structures"): "training and stability slabs, gamma brass and min distances "
    "for the distilled potentials",
    ("studies", "hpc"): "the paper campaign submits its stages (paper --submit) with hpc.submit",
}
#: Units where jobflow / jobflow-remote may be imported.
JOBFLOW_UNITS = {"workflows", "studies", "hpc", "db"}


@dataclass(frozen=True)
class Import:
    """One import statement of a lithiophilic module."""

    module: str  # importing module
    path: Path
    line: int
    target: str  # imported module (resolved to a lithiophilic module when it is one)
    type_checking: bool
    in_function: bool

    def where(self) -> str:
        scope = "function-level" if self.in_function else "module-level"
        kind = ", TYPE_CHECKING" if self.type_checking else ""
        return f"{self.path.relative_to(SRC.parent)}:{self.line}: {self.module} imports {self.target} ({scope}{kind})"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ImportVisitor(ast.NodeVisitor):
    def __init__(self, module: str, path: Path, known: set[str]) -> None:
        self.module, self.path, self.known = module, path, known
        self.is_package = path.name == "__init__.py"
        self.imports: list[Import] = []
        self._type_checking = 0
        self._functions = 0

    def _add(self, node: ast.stmt, target: str) -> None:
        self.imports.append(
            Import(
                self.module,
                self.path,
                node.lineno,
                target,
                self._type_checking > 0,
                self._functions > 0,
            )
        )

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self._type_checking += 1
            for child in node.body:
                self.visit(child)
            self._type_checking -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _visit_function(self, node: ast.AST) -> None:
        self._functions += 1
        self.generic_visit(node)
        self._functions -= 1

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function
    visit_Lambda = _visit_function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.module if self.is_package else self.module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            self._add(node, sub if sub in self.known else base)


def _all_imports() -> list[Import]:
    modules = _modules()
    known = set(modules)
    found: list[Import] = []
    for name, path in modules.items():
        visitor = _ImportVisitor(name, path, known)
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        found += visitor.imports
    return list(dict.fromkeys(found))  # `from x import a, b` counts once


def _internal(imports: list[Import]) -> list[Import]:
    return [i for i in imports if i.target == PACKAGE or i.target.startswith(PACKAGE + ".")]


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _report(title: str, problems: list[str]) -> None:
    if problems:
        print(f"{title} ({len(problems)}):")
        for p in problems:
            print("  " + p)
    assert not problems, f"{len(problems)} {title}; see the printed list"


def _layer_problem(imp: Import) -> str | None:
    """Return why ``imp`` breaks the layers, or None."""
    src, dst = _unit(imp.module), _unit(imp.target)
    if src == dst:
        return None
    if dst == "db":
        return None if src in DB_USERS else f"{src} may not import db"
    if src == "db":
        return None if dst in BOTTOM else "db imports only the bottom layer"
    if src == "analysis" and dst == "workflows":
        return "analysis never imports workflows"
    if src not in LAYERS or dst not in LAYERS:
        return f"unknown unit {src if src not in LAYERS else dst!r}: add it to LAYERS"
    if LAYERS[dst] < LAYERS[src]:
        return None
    if LAYERS[dst] == LAYERS[src]:
        return None if (src, dst) in WITHIN_LAYER else f"{src} -> {dst} is not in WITHIN_LAYER"
    return f"{src} (layer {LAYERS[src]}) imports the higher layer {dst} (layer {LAYERS[dst]})"


def test_imports_follow_the_layers():
    problems = []
    for imp in _internal(_all_imports()):
        why = _layer_problem(imp)
        if why:
            problems.append(f"{imp.where()}: {why}")
    _report("layer violations", problems)


def test_within_layer_allow_list_is_used():
    used = {(_unit(i.module), _unit(i.target)) for i in _internal(_all_imports())}
    unused = [f"{a} -> {b} ({why})" for (a, b), why in WITHIN_LAYER.items() if (a, b) not in used]
    _report("allowed within-layer imports that nothing uses (remove them)", unused)


def test_no_import_of_another_packages_private_module():
    problems = []
    for imp in _internal(_all_imports()):
        parts = imp.target.split(".")
        for k, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                owner = ".".join(parts[:k])
                if imp.module != owner and not imp.module.startswith(owner + "."):
                    problems.append(f"{imp.where()}: private module of {owner}")
                break
    _report("imports of private modules", problems)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    imports = [i for i in _internal(_all_imports()) if not i.type_checking]
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if imp.target != imp.module:
            edges.setdefault(imp.module, set()).add(imp.target)
    problems = []
    for comp in _cycles(edges):
        members = set(comp)
        links = sorted({i.where() for i in imports if i.module in members and i.target in members})
        problems.append(" <-> ".join(comp) + "\n    " + "\n    ".join(links))
    _report("import cycles", problems)


def test_jobflow_only_in_workflows_studies_hpc_and_db():
    problems = [
        f"{imp.where()}: jobflow outside {sorted(JOBFLOW_UNITS)}"
        for imp in _all_imports()
        if imp.target.split(".")[0] in ("jobflow", "jobflow_remote")
        and not imp.type_checking
        and _unit(imp.module) not in JOBFLOW_UNITS
    ]
    _report("jobflow imports outside workflows/studies/hpc/db", problems)


def test_the_walk_sees_function_level_and_relative_imports(tmp_path):
    """The checker itself: function-level, TYPE_CHECKING and relative imports are found."""
    path = SRC / PACKAGE / "analysis" / "probe.py"
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from lithiophilic.db import get_store\n"
        "def f():\n    from lithiophilic.workflows import surface\n    from . import binding\n"
    )
    visitor = _ImportVisitor("lithiophilic.analysis.probe", path, set(_modules()))
    visitor.visit(ast.parse(code))
    got = {(i.target, i.type_checking, i.in_function) for i in visitor.imports}
    assert ("lithiophilic.db", True, False) in got
    assert ("lithiophilic.workflows.surface", False, True) in got
    assert ("lithiophilic.analysis.binding", False, True) in got
    problems = {_layer_problem(i) for i in visitor.imports if i.target.startswith(PACKAGE)}
    assert "analysis may not import db" in problems
    assert "analysis never imports workflows" in problems

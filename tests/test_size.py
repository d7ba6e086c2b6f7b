"""Size limits of the source (issue 16): no function body over 120 lines, no module over 800.

A function's body runs from its first statement (the docstring included) to its last line;
the signature and decorators do not count. Each test prints every offender with its size.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "lithiophilic"
MAX_FUNCTION_BODY_LINES = 120
MAX_MODULE_LINES = 800


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _where(path: Path, line: int | None = None) -> str:
    rel = path.relative_to(SRC.parents[1])
    return f"{rel}:{line}" if line else str(rel)


def _function_bodies(path: Path) -> list[tuple[str, int, int]]:
    """Return (qualified name, def line, body lines) of every function in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out: list[tuple[str, int, int]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (child.end_lineno or child.lineno) - child.body[0].lineno + 1
                out.append((f"{prefix}{child.name}", child.lineno, lines))
                walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def test_no_function_body_over_120_lines():
    offenders = [
        f"{_where(path, line)}: {name} ({lines} lines)"
        for path in _sources()
        for name, line, lines in _function_bodies(path)
        if lines > MAX_FUNCTION_BODY_LINES
    ]
    for o in offenders:
        print(o)
    assert not offenders, f"{len(offenders)} function(s) over {MAX_FUNCTION_BODY_LINES} lines"


def test_no_module_over_800_lines():
    offenders = []
    for path in _sources():
        n = len(path.read_text().splitlines())
        if n > MAX_MODULE_LINES:
            offenders.append(f"{_where(path)}: {n} lines")
    for o in offenders:
        print(o)
    assert not offenders, f"{len(offenders)} module(s) over {MAX_MODULE_LINES} lines"


def test_body_size_counts_from_the_first_statement(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(
        "@decorator\n"
        "def f(\n    a,\n    b,\n):\n"
        '    """Doc."""\n'
        "    def g():\n        return 1\n"
        "    return g\n"
        "class C:\n    def m(self):\n        pass\n"
    )
    assert _function_bodies(path) == [("f", 2, 4), ("f.g", 7, 1), ("C.m", 11, 1)]

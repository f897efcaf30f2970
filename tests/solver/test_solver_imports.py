"""`solver` is optimisation only: integers and ids in, assignments out, nothing from `scheduler`."""

import ast
import sys
from pathlib import Path

SOLVER = Path(__file__).resolve().parents[2] / "solver"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_solver_imports_nothing_from_scheduler() -> None:
    files = sorted(SOLVER.rglob("*.py"))
    assert files, "solver package not found"
    offenders = {
        str(f.relative_to(SOLVER)): sorted(
            m for m in _imported_modules(f) if m.split(".")[0] == "scheduler"
        )
        for f in files
    }
    assert {f: m for f, m in offenders.items() if m} == {}


def test_solver_imports_only_the_standard_library_ortools_and_itself() -> None:
    allowed = {"ortools", "solver", "__future__", *sys.stdlib_module_names}
    for f in sorted(SOLVER.rglob("*.py")):
        for module in _imported_modules(f):
            assert module.split(".")[0] in allowed, f"{f.name} imports {module}"

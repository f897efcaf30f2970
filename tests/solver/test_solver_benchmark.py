"""The benchmark runs end to end on a toy case (the real cases take minutes)."""

from solver.benchmark import run_case, table
from solver.solve import SolveParams


def test_toy_case_table() -> None:
    rows = run_case(8, 2, SolveParams(time_limit=4), seed=2, weeks=3)
    assert [r.method for r in rows] == ["greedy", "cp-sat"]
    assert rows[1].quality.unplaced <= rows[0].quality.unplaced
    text = table(rows)
    assert text.count("\n") == 3 and "cp-sat" in text

"""How many technicians the standing model offers each contract (`solver.standing`)."""

from __future__ import annotations

from solver_kit import contract, instance, technician

from solver.index import InstanceIndex
from solver.params import SolveParams
from solver.standing import LARGE_BOOK, Book, candidate_technicians


def test_small_books_keep_six_candidates_and_large_ones_get_four() -> None:
    auto = SolveParams(time_limit=1)
    assert candidate_technicians(LARGE_BOOK, auto) == 6
    assert candidate_technicians(LARGE_BOOK + 1, auto) == 4
    assert (
        candidate_technicians(LARGE_BOOK + 1, SolveParams(time_limit=1, standing_technicians=6))
        == 6
    )


def test_a_contract_is_offered_only_its_nearest_technicians() -> None:
    # Technicians at 0..7, the school at 8; technician t lives 10 + t minutes away.
    n = 9
    travel = [[0 if a == b else 10 + min(a, b) for b in range(n)] for a in range(n)]
    techs = [technician(t) for t in range(8)]
    inst = instance([contract(8, technicians=tuple(range(8)))], techs, travel=travel)
    book = Book(InstanceIndex(inst), [0], {}, SolveParams(time_limit=1))
    assert {o.slot.technician for o in book.options[0]} == set(range(6))

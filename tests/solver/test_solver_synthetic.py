"""The generator: reproducible, and as realistic as the spec asks."""

from datetime import date

from solver.index import InstanceIndex
from solver.instance import week
from solver.synthetic import synthetic_instance


def test_same_seed_same_instance() -> None:
    assert synthetic_instance(12, 3, seed=9) == synthetic_instance(12, 3, seed=9)
    assert synthetic_instance(12, 3, seed=9) != synthetic_instance(12, 3, seed=10)


def test_a_year_of_english_term_with_half_terms_and_sold_visits() -> None:
    inst = synthetic_instance(30, 5, seed=1)
    ix = InstanceIndex(inst)
    first, last = date(2026, 9, 1).toordinal(), date(2027, 7, 19).toordinal()
    for c in inst.contracts:
        assert c.owed in (46, 23) and c.cadence_days == (7 if c.owed == 46 else 14)
        assert all(first <= d <= last for d in (*c.term_days, *c.holiday_days))
        assert 38 <= len({week(d) for d in c.term_days}) <= 40
        assert date(2026, 10, 28).toordinal() not in c.term_days  # autumn half-term
        assert date(2026, 12, 25).toordinal() not in c.holiday_days
    assert all(
        ix.eligible[c] == tuple(sorted(ix.eligible[c], key=lambda t, c=c: (ix.round_trip(c, t), t)))
        for c in range(30)
    )


def test_travel_is_whole_minutes_from_great_circle_km() -> None:
    inst = synthetic_instance(30, 5, seed=2)
    m = inst.travel
    n = len(m)
    assert all(m[i][i] == 0 for i in range(n))
    assert all(m[i][j] == m[j][i] for i in range(n) for j in range(n))
    assert max(max(row) for row in m) <= round(72.2 * 1.3 / 40 * 60) + 1  # the 60 x 40 km diagonal
    for c in inst.contracts:
        for t in c.technicians:
            assert m[t][c.location] <= inst.technicians[t].max_commute

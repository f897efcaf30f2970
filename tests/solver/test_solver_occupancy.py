"""`Occupancy.fits` (the heuristics' hard rules, one insertion at a time) agrees with `check`."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from solver_kit import random_instance

from solver.evaluate import check
from solver.index import InstanceIndex
from solver.instance import Assignment
from solver.model import all_slots
from solver.occupancy import Occupancy


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6))
def test_fits_exactly_when_check_stays_clean(seed: int) -> None:
    rng = random.Random(seed)
    inst = random_instance(rng)
    occ = Occupancy(InstanceIndex(inst))
    slots = all_slots(InstanceIndex(inst))
    rng.shuffle(slots)
    for slot in slots[:60]:
        a = Assignment(*slot)
        clean = check(inst, [*occ.visits, a]) == []
        assert occ.fits(*slot) == clean, (slot, check(inst, [*occ.visits, a]))
        if clean:
            occ.add(a)

"""Regions share no technician and no school, and cover every contract."""

from solver.greedy import greedy_plan
from solver.index import InstanceIndex
from solver.regions import regions
from solver.synthetic import synthetic_instance


def test_regions_partition_the_book() -> None:
    ix = InstanceIndex(synthetic_instance(60, 10, seed=4, weeks=4))
    plan = greedy_plan(ix)
    contracts = list(range(len(ix.instance.contracts)))
    parts = regions(ix, contracts, plan.standing, dict.fromkeys(contracts, 1), 20)
    assert len(parts) > 1
    techs = [t for r in parts for t in r.technicians]
    assert len(techs) == len(set(techs))
    covered = sorted(c for r in parts for c in r.contracts)
    assert covered == [c for c in contracts if ix.eligible[c] or c in plan.standing]
    schools = [{ix.school_of(c) for c in r.contracts} for r in parts]
    assert all(a.isdisjoint(b) for i, a in enumerate(schools) for b in schools[i + 1 :])
    for r in parts:
        for c in r.contracts:
            if c in plan.standing:
                assert plan.standing[c].technician in r.technicians

"""The demo book: deterministic, plannable as generated, and shaped like DOMAIN.md at every size."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

import pytest

from scheduler.calendar import Calendar
from scheduler.demo import DEFAULT_HISTORY_UNTIL, SHUTDOWN, generate
from scheduler.domain import (
    CONSUMING_STATUSES,
    LONDON,
    Grade,
    Package,
    Scenario,
    Technician,
    VisitStatus,
)
from scheduler.eligibility import commute_limit, qualified
from scheduler.scenario import read_scenario, write_scenario
from scheduler.travel import TravelMatrix

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo() -> Scenario:
    return generate()


def _canonical(scenario: Scenario) -> str:
    """Sets sorted, so that the digest does not depend on the process's hash seed."""

    def plain(value: object) -> object:
        if isinstance(value, set | frozenset):
            return sorted(value)
        return str(value)

    return json.dumps(asdict(scenario), default=plain, sort_keys=True)


def _pool(scenario: Scenario) -> list[Technician]:
    dedicated = {c.dedicated_technician_id for c in scenario.contracts}
    return [t for t in scenario.technicians if t.technician_id not in dedicated]


def _eligible_counts(scenario: Scenario) -> dict[str, int]:
    """Qualified pool technicians within commute (both legs), per school with bought visits."""
    pool = _pool(scenario)
    scheduled = {c.school_id for c in scenario.contracts if c.is_scheduled}
    schools = [s for s in scenario.schools if s.school_id in scheduled]
    ids = [s.school_id for s in schools] + [t.technician_id for t in pool]
    minutes = TravelMatrix(scenario).matrix(ids)
    counts = {}
    for i, school in enumerate(schools):
        counts[school.school_id] = sum(
            1
            for j, tech in enumerate(pool, start=len(schools))
            if qualified(tech, school)
            and max(minutes[i, j], minutes[j, i]) <= commute_limit(tech, scenario)
        )
    return counts


def test_same_arguments_give_the_same_scenario_and_seeds_differ() -> None:
    assert generate(schools=60) == generate(schools=60)
    assert generate(schools=60, seed=8) != generate(schools=60)
    assert generate(schools=60, region="birmingham") != generate(schools=60)


def test_the_same_scenario_in_another_process_with_another_hash_seed() -> None:
    code = (
        "import sys; sys.path.insert(0, 'tests'); from test_demo import _canonical; "
        "from scheduler.demo import generate; import hashlib; "
        "print(hashlib.sha256(_canonical(generate(schools=40)).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    here = hashlib.sha256(_canonical(generate(schools=40)).encode()).hexdigest()
    assert digests == {here}


def test_history_cutoff_changes_history_only() -> None:
    fresh = generate(schools=60, history_until=None)
    later = generate(schools=60, history_until=date(2027, 2, 1))
    default = generate(schools=60)
    assert fresh.history == [] and fresh.tickets == []
    for book in (later, default):
        assert (book.schools, book.technicians, book.contracts) == (
            fresh.schools,
            fresh.technicians,
            fresh.contracts,
        )
        assert (book.closures, book.leave, book.term_dates) == (
            fresh.closures,
            fresh.leave,
            fresh.term_dates,
        )
    assert len(later.history) > len(default.history) > 0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate(schools=0)
    with pytest.raises(ValueError, match="birmingham, kent"):
        generate(region="narnia")


def test_default_demo_is_a_sample_of_real_kent_schools(demo: Scenario) -> None:
    assert len(demo.schools) == 200
    assert all(s.school_id.startswith("URN") and "-C" not in s.school_id for s in demo.schools)
    assert all(s.postcode and 50.9 < s.lat < 51.5 and 0.0 < s.lon < 1.5 for s in demo.schools)
    assert {s.term_calendar for s in demo.schools} <= {
        "KENT",
        "KENT-ACADEMY-A",
        "KENT-ACADEMY-B",
    }


def test_ids_are_unique(demo: Scenario) -> None:
    for items, key in (
        (demo.schools, "school_id"),
        (demo.technicians, "technician_id"),
        (demo.contracts, "contract_id"),
        (demo.history, "visit_id"),
        (demo.tickets, "ticket_id"),
    ):
        ids = [getattr(item, key) for item in items]
        assert len(ids) == len(set(ids)), key
    places = [s.school_id for s in demo.schools] + [t.technician_id for t in demo.technicians]
    assert len(places) == len(set(places))


def test_package_mix(demo: Scenario) -> None:
    share = {
        p: n / len(demo.contracts) for p, n in Counter(c.package for c in demo.contracts).items()
    }
    assert 0.65 <= share[Package.SCHEDULED] <= 0.78
    assert 0.10 <= share[Package.SCHEDULED_ON_DEMAND] <= 0.20
    for package in (Package.ON_DEMAND, Package.CLOUD):
        assert 0.03 <= share[package] <= 0.10
    assert 0.01 <= share[Package.FULL_MANAGED] <= 0.04
    assert len({c.school_id for c in demo.contracts}) == len(demo.schools)

    terms = Counter(
        (c.package, c.visits, c.cadence.value, c.window_family, c.period_weeks)
        for c in demo.contracts
        if c.is_scheduled
    )
    assert set(terms) == {
        (Package.SCHEDULED, 46, "weekly", "3h", 46),
        (Package.SCHEDULED, 23, "fortnightly", "3h", 46),
        (Package.SCHEDULED_ON_DEMAND, 38, "weekly", "2h", 52),
        (Package.SCHEDULED_ON_DEMAND, 19, "fortnightly", "2h", 52),
    }
    starts = Counter(c.start_date for c in demo.contracts)
    assert 0.6 <= starts[date(2026, 9, 1)] / len(demo.contracts) <= 0.9
    assert all(d.year == 2026 for d in starts)
    for contract in demo.contracts:
        managed = contract.package is Package.FULL_MANAGED
        assert (contract.dedicated_technician_id is not None) == managed
        if not contract.is_scheduled:
            assert (contract.visits, contract.cadence.value) == (0, "none")


def test_school_attributes_have_the_intended_shares(demo: Scenario) -> None:
    n = len(demo.schools)

    def share(flag: object) -> float:
        return sum(1 for s in demo.schools if flag(s)) / n  # type: ignore[operator]

    assert 0.12 <= share(lambda s: s.holiday_access) <= 0.28
    assert 0.05 <= share(lambda s: s.requires_senior) <= 0.16
    assert 0.09 <= share(lambda s: s.required_skills) <= 0.22
    assert 0.5 <= share(lambda s: s.preferred_weekday is not None) <= 0.7
    assert 0.1 <= share(lambda s: s.preferred_window) <= 0.35
    families = {c.school_id: c.window_family for c in demo.contracts}
    for school in demo.schools:
        if school.preferred_window:
            names = {w.name for w in demo.windows if w.family == families[school.school_id]}
            assert school.preferred_window in names


def test_technicians_are_about_one_per_seven_schools(demo: Scenario) -> None:
    pool = _pool(demo)
    managed = sum(1 for c in demo.contracts if c.package is Package.FULL_MANAGED)
    assert len(demo.technicians) == len(pool) + managed
    assert 200 / 8.5 <= len(pool) <= 200 / 6.5
    grades = Counter(t.grade for t in pool)
    assert 1 <= grades[Grade.APPRENTICE] < grades[Grade.SECOND_LINE] < grades[Grade.FIRST_LINE]
    assert any(len(t.work_days) == 4 for t in pool)
    assert all(t.max_visits_per_day == 3 and t.max_commute_minutes is None for t in pool)
    assert demo.settings.max_commute_minutes == 60
    assert demo.settings.shutdown == (SHUTDOWN,)


@pytest.mark.parametrize("size", [200, 1000])
def test_every_scheduled_school_has_two_eligible_pool_technicians(size: int) -> None:
    scenario = generate(schools=size, history_until=None)
    counts = _eligible_counts(scenario)
    assert counts and min(counts.values()) >= 2, sorted(counts.items(), key=lambda kv: kv[1])[:5]


def test_dedicated_technicians_qualify_for_their_school(demo: Scenario) -> None:
    travel = TravelMatrix(demo)
    for contract in demo.contracts:
        if contract.dedicated_technician_id:
            tech = demo.technician(contract.dedicated_technician_id)
            school = demo.school(contract.school_id)
            assert qualified(tech, school)
            assert travel.minutes(tech.technician_id, school.school_id) <= 60


def test_term_dates_closures_and_leave(demo: Scenario) -> None:
    kent = sorted((b.first_day, b.last_day) for b in demo.term_dates if b.term_calendar == "KENT")
    for first, last in (
        ("2026-09-03", "2026-10-23"),
        ("2026-11-02", "2026-12-18"),
        ("2027-01-05", "2027-02-12"),
        ("2027-02-22", "2027-03-25"),
        ("2027-04-12", "2027-05-28"),
        ("2027-06-07", "2027-07-21"),
    ):
        assert (date.fromisoformat(first), date.fromisoformat(last)) in kent
    assert len({b.term_calendar for b in demo.term_dates}) == 3

    inset = Counter(
        c.school_id
        for c in demo.closures
        for _ in range((c.last_day - c.first_day).days + 1)
        if c.reason == "INSET day"
    )
    assert len(inset) == len(demo.schools)
    assert 4.5 <= sum(inset.values()) / len(inset) <= 5.5
    assert {c.reason for c in demo.closures} >= {"INSET day", "trip", "exams"}
    assert all(c.first_day <= c.last_day for c in demo.closures)

    days = Counter()
    for leave in demo.leave:
        assert leave.first_day <= leave.last_day
        days[leave.technician_id] += (leave.last_day - leave.first_day).days + 1
    assert set(days) == {t.technician_id for t in demo.technicians}
    assert all(10 <= n <= 25 for n in days.values())


def test_history_is_legal_and_never_over_entitled(demo: Scenario) -> None:
    calendar = Calendar(demo)
    contracts = {c.contract_id: c for c in demo.contracts}
    pool = {t.technician_id for t in _pool(demo)}
    travel = TravelMatrix(demo)
    consumed: Counter[str] = Counter()
    school_days: set[tuple[str, date]] = set()
    tech_slots: dict[tuple[str, date], list[tuple[int, int]]] = {}
    for visit in demo.history:
        contract = contracts[visit.contract_id]
        school = demo.school(contract.school_id)
        tech = demo.technician(visit.technician_id)
        assert contract.start_date <= visit.date <= min(contract.end_date, DEFAULT_HISTORY_UNTIL)
        assert calendar.may_visit(contract.contract_id, visit.date), visit
        assert calendar.technician_available(tech.technician_id, visit.date), visit
        assert tech.technician_id in pool and qualified(tech, school)
        assert travel.minutes(tech.technician_id, school.school_id) <= 60
        assert (school.school_id, visit.date) not in school_days
        school_days.add((school.school_id, visit.date))
        start, end = demo.window(contract.window_family, visit.window).minutes
        slots = tech_slots.setdefault((tech.technician_id, visit.date), [])
        assert all(end <= s or e <= start for s, e in slots), visit
        slots.append((start, end))
        assert len(slots) <= tech.max_visits_per_day
        consumed[contract.contract_id] += visit.status in CONSUMING_STATUSES
    for contract_id, n in consumed.items():
        contract = contracts[contract_id]
        assert not contract.is_scheduled or n <= contract.visits

    assert set(Counter(v.status for v in demo.history)) == set(VisitStatus)
    delivered = sum(1 for v in demo.history if v.status is VisitStatus.DELIVERED)
    assert delivered / len(demo.history) > 0.85


def test_what_is_still_owed_fits_the_days_left(demo: Scenario) -> None:
    """The book is plannable: nothing starts the plan already beyond saving."""
    calendar = Calendar(demo)
    consumed = Counter(v.contract_id for v in demo.history if v.status in CONSUMING_STATUSES)
    for contract in demo.contracts:
        if contract.is_scheduled:
            left = calendar.visitable_days(
                contract.contract_id, start=date.fromordinal(DEFAULT_HISTORY_UNTIL.toordinal() + 1)
            )
            assert contract.visits - consumed[contract.contract_id] <= len(left), contract


def test_regular_slots_and_usual_technicians(demo: Scenario) -> None:
    """History looks like a dispatcher's: mostly the same weekday, window and technician."""
    by_contract: dict[str, list[tuple[int, str, str]]] = {}
    for visit in demo.history:
        if visit.status is not VisitStatus.EMERGENCY:
            slot = (visit.date.weekday(), visit.window, visit.technician_id)
            by_contract.setdefault(visit.contract_id, []).append(slot)
    slots = techs = total = 0
    for visits in by_contract.values():
        if len(visits) >= 4:
            slots += Counter((d, w) for d, w, _ in visits).most_common(1)[0][1]
            techs += Counter(t for _, _, t in visits).most_common(1)[0][1]
            total += len(visits)
    assert slots / total > 0.7
    assert techs / total > 0.75


def test_tickets(demo: Scenario) -> None:
    assert 150 <= len(demo.tickets) <= 600
    cutoff = datetime(2026, 11, 21, tzinfo=LONDON)
    assert {t.priority for t in demo.tickets} == {"urgent", "high", "medium", "low"}
    assert any(t.pauses for t in demo.tickets)
    assert any(t.resolved_at is None for t in demo.tickets)
    emergencies = [t for t in demo.tickets if t.emergency]
    assert len(emergencies) == sum(1 for v in demo.history if v.status is VisitStatus.EMERGENCY)
    assert all(t.priority in {"urgent", "high"} for t in emergencies)
    for ticket in demo.tickets:
        assert ticket.opened_at < cutoff
        if ticket.responded_at:
            assert ticket.opened_at < ticket.responded_at < cutoff
        if ticket.resolved_at:
            assert ticket.responded_at and ticket.responded_at <= ticket.resolved_at < cutoff
        for start, end in ticket.pauses:
            assert ticket.opened_at < start < end < cutoff


def test_all_of_a_region_then_clones() -> None:
    kent = generate(schools=488, history_until=None)
    assert not any("-C" in s.school_id for s in kent.schools)
    birmingham = generate(schools=120, region="birmingham", history_until=None)
    assert all(52.2 < s.lat < 52.7 and -2.1 < s.lon < -1.7 for s in birmingham.schools)
    assert {s.term_calendar for s in birmingham.schools} <= {
        "BIRMINGHAM",
        "BIRMINGHAM-ACADEMY-A",
        "BIRMINGHAM-ACADEMY-B",
    }


@pytest.mark.timeout(120)
@pytest.mark.parametrize("size", [1000, 5000])
def test_national_sizes_generate(size: int) -> None:
    """Benchmarks import these sizes; their speed is measured there (`make bench`)."""
    scenario = generate(schools=size)
    ids = [s.school_id for s in scenario.schools]
    assert len(ids) == len(set(ids)) == size
    assert any(s.name.endswith("(clone 2)") for s in scenario.schools)
    assert all(49.9 < s.lat < 58.7 and -8.2 < s.lon < 1.8 for s in scenario.schools)
    assert all(49.9 < t.lat < 58.7 and -8.2 < t.lon < 1.8 for t in scenario.technicians)
    assert size / 8.5 <= len(_pool(scenario)) <= size / 6.5


def test_written_and_read_back_without_problems(demo: Scenario, tmp_path: Path) -> None:
    write_scenario(demo, tmp_path)
    loaded, warnings = read_scenario(tmp_path)
    assert warnings == []
    for attr in ("schools", "technicians", "contracts", "history", "tickets", "closures", "leave"):
        assert sorted(getattr(loaded, attr), key=repr) == sorted(getattr(demo, attr), key=repr)

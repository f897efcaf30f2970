"""Rule 1 as tables of dates, checked against what the `holidays` library says for 2026-27.

Public holidays differ by nation and move with substitute days, so every
table row names one date and the nations or verdict it must give.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scheduler.calendar import Calendar, public_holidays
from scheduler.domain import (
    Cadence,
    Closure,
    Contract,
    Grade,
    Leave,
    Nation,
    Package,
    Scenario,
    School,
    Settings,
    Technician,
    TermBlock,
)

ALL = "ENG WLS SCT NIR"

TERM_2026_27 = (
    ("2026-09-01", "2026-10-23"),
    ("2026-11-02", "2026-12-18"),
    ("2027-01-04", "2027-02-12"),
    ("2027-02-22", "2027-03-26"),
    ("2027-04-12", "2027-05-28"),
    ("2027-06-07", "2027-07-21"),
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def school(school_id: str, nation: Nation, holiday_access: bool) -> School:
    return School(school_id, school_id, 51.0, 0.0, nation, "T", holiday_access=holiday_access)


def contract(contract_id: str, school_id: str, start: str, weeks: int) -> Contract:
    return Contract(contract_id, school_id, Package.SCHEDULED, d(start), weeks, 46, Cadence.WEEKLY)


@pytest.fixture(scope="module")
def cal() -> Calendar:
    """E1 keeps to term; E2, W1, S1 and N1 have holiday access, so only holidays close them."""
    return Calendar(
        Scenario(
            schools=[
                school("E1", Nation.ENG, False),
                school("E2", Nation.ENG, True),
                school("W1", Nation.WLS, True),
                school("S1", Nation.SCT, True),
                school("N1", Nation.NIR, True),
            ],
            term_dates=[TermBlock("T", d(first), d(last)) for first, last in TERM_2026_27],
            closures=[
                Closure("E1", d("2026-10-22"), d("2026-10-22"), "INSET day"),
                Closure("E1", d("2027-02-01"), d("2027-02-02"), "snow day"),
                Closure("E2", d("2027-08-04"), d("2027-08-04")),
            ],
            contracts=[
                contract("K1", "E1", "2026-09-01", 46),
                contract("K2", "E2", "2026-09-01", 52),
            ],
            technicians=[
                Technician("TA", "A", 51.0, 0.0, Grade.FIRST_LINE, work_days=frozenset(range(4))),
                Technician("TB", "B", 51.0, 0.0, Grade.APPRENTICE),
            ],
            leave=[
                Leave("TA", d("2026-11-09"), d("2026-11-13"), "annual leave"),
                Leave("TB", d("2027-03-01"), d("2027-03-01")),
            ],
            settings=Settings(shutdown=((d("2026-12-21"), d("2027-01-01")),)),
        )
    )


@pytest.mark.parametrize(
    ("day", "nations"),
    [
        ("2026-11-30", "SCT"),  # St Andrew's Day, a Monday
        ("2026-12-25", ALL),
        ("2026-12-28", ALL),  # Boxing Day (Saturday) substitute
        ("2026-12-29", ""),
        ("2027-01-01", ALL),
        ("2027-01-04", "SCT"),  # 2 January (Saturday) substitute
        ("2027-03-17", "NIR"),  # St Patrick's Day
        ("2027-03-26", ALL),  # Good Friday
        ("2027-03-29", "ENG WLS NIR"),  # Easter Monday
        ("2027-05-03", ALL),
        ("2027-05-31", ALL),
        ("2027-07-12", "NIR"),  # Battle of the Boyne
        ("2027-08-02", "SCT"),  # Summer Bank Holiday
        ("2027-08-30", "ENG WLS NIR"),  # Late Summer Bank Holiday
        ("2027-11-30", "SCT"),  # St Andrew's Day, a Tuesday
    ],
)
def test_public_holidays(cal: Calendar, day: str, nations: str) -> None:
    for nation in Nation:
        expected = nation.value in nations.split()
        assert cal.is_public_holiday(nation, d(day)) is expected, nation
        assert (cal.holiday_name(nation, d(day)) is not None) is expected, nation


@pytest.mark.parametrize(
    ("nation", "day", "name"),
    [
        ("ENG", "2026-12-28", "Boxing Day (observed)"),
        ("SCT", "2027-01-04", "New Year Holiday (observed)"),
        ("SCT", "2026-11-30", "Saint Andrew's Day"),
        ("NIR", "2027-07-12", "Battle of the Boyne"),
        ("WLS", "2027-07-12", None),
    ],
)
def test_holiday_name(cal: Calendar, nation: str, day: str, name: str | None) -> None:
    assert cal.holiday_name(nation, d(day)) == name


def test_public_holidays_are_shared_read_only_mappings() -> None:
    assert public_holidays("SCT", 2027) is public_holidays(Nation.SCT, 2027)
    with pytest.raises(TypeError):
        public_holidays(Nation.ENG, 2027)[d("2027-06-01")] = "x"  # type: ignore[index]
    with pytest.raises(ValueError):
        public_holidays("GB", 2027)


@pytest.mark.parametrize(
    ("day", "expected"),
    [("2026-12-18", False), ("2026-12-21", True), ("2027-01-01", True), ("2027-01-04", False)],
)
def test_in_shutdown(cal: Calendar, day: str, expected: bool) -> None:
    assert cal.in_shutdown(d(day)) is expected


@pytest.mark.parametrize(
    ("school_id", "day", "reason"),
    [
        ("E1", "2026-09-01", None),  # first day of term
        ("E1", "2026-09-05", "weekend"),
        ("E2", "2026-09-06", "weekend"),
        ("E1", "2026-10-22", "closure: INSET day"),
        ("E1", "2026-10-28", "outside term"),  # half-term
        ("E2", "2026-10-28", None),  # half-term, holiday access
        ("E1", "2026-11-30", None),
        ("S1", "2026-11-30", "public holiday: Saint Andrew's Day (SCT)"),
        ("E1", "2026-12-18", None),  # last day of term
        ("E1", "2026-12-21", "company shutdown"),
        ("E2", "2026-12-24", "company shutdown"),
        ("S1", "2026-12-25", "public holiday: Christmas Day (SCT)"),
        ("E2", "2026-12-28", "public holiday: Boxing Day (observed) (ENG)"),
        ("E1", "2027-01-04", None),
        ("S1", "2027-01-04", "public holiday: New Year Holiday (observed) (SCT)"),
        ("E1", "2027-02-01", "closure: snow day"),
        ("E1", "2027-02-02", "closure: snow day"),
        ("E1", "2027-02-03", None),
        ("E1", "2027-02-15", "outside term"),
        ("E1", "2027-03-17", None),
        ("N1", "2027-03-17", "public holiday: Saint Patrick's Day (NIR)"),
        ("E2", "2027-03-29", "public holiday: Easter Monday (ENG)"),
        ("W1", "2027-03-29", "public holiday: Easter Monday (WLS)"),
        ("N1", "2027-03-29", "public holiday: Easter Monday (NIR)"),
        ("S1", "2027-03-29", None),
        ("E1", "2027-05-03", "public holiday: May Day (ENG)"),  # in term all the same
        ("N1", "2027-07-12", "public holiday: Battle of the Boyne (NIR)"),
        ("W1", "2027-07-12", None),
        ("E1", "2027-08-02", "outside term"),
        ("E2", "2027-08-02", None),  # summer holiday, holiday access
        ("S1", "2027-08-02", "public holiday: Summer Bank Holiday (SCT)"),
        ("E2", "2027-08-04", "closure"),  # a closure without a reason
        ("E2", "2027-08-30", "public holiday: Late Summer Bank Holiday (ENG)"),
        ("S1", "2027-08-30", None),
    ],
)
def test_school_open(cal: Calendar, school_id: str, day: str, reason: str | None) -> None:
    assert cal.closed_reason(school_id, d(day)) == reason
    assert cal.school_open(school_id, d(day)) is (reason is None)


@pytest.mark.parametrize(
    ("school_id", "day", "expected"),
    [
        ("E1", "2026-09-01", True),
        ("E1", "2026-09-05", False),  # weekend inside a block
        ("E1", "2026-10-22", False),  # closure
        ("E1", "2026-10-28", False),  # half-term
        ("E2", "2026-10-28", False),  # open, but not in term
        ("E1", "2027-05-03", True),  # May Day: closed, yet in term
        ("E1", "2027-07-21", True),
        ("E1", "2027-07-22", False),
    ],
)
def test_in_term(cal: Calendar, school_id: str, day: str, expected: bool) -> None:
    assert cal.in_term(school_id, d(day)) is expected


def test_period_of_46_weeks_ends_on_a_monday() -> None:
    assert contract("K", "E1", "2026-09-01", 46).end_date == d("2027-07-19")


@pytest.mark.parametrize(
    ("contract_id", "day", "reason"),
    [
        ("K1", "2026-08-31", "outside contract period"),
        ("K1", "2026-09-01", None),  # first day, inclusive
        ("K1", "2026-10-28", "outside term"),
        ("K1", "2027-07-19", None),  # last day, inclusive
        ("K1", "2027-07-20", "outside contract period"),  # still in term
        ("K2", "2027-08-02", None),
        ("K2", "2027-08-30", "public holiday: Late Summer Bank Holiday (ENG)"),
        ("K2", "2027-08-31", "outside contract period"),  # 52 weeks end Mon 2027-08-30
    ],
)
def test_may_visit(cal: Calendar, contract_id: str, day: str, reason: str | None) -> None:
    assert cal.contract_closed_reason(contract_id, d(day)) == reason
    assert cal.may_visit(contract_id, d(day)) is (reason is None)


def test_visitable_days_clip_to_the_period(cal: Calendar) -> None:
    days = cal.visitable_days("K1")
    assert (days[0], days[-1]) == (d("2026-09-01"), d("2027-07-19"))
    assert days == sorted(days)
    assert all(cal.may_visit("K1", day) for day in days)
    assert cal.visitable_days("K1", d("2027-07-12"), d("2027-12-31")) == [
        d("2027-07-12"),
        d("2027-07-13"),
        d("2027-07-14"),
        d("2027-07-15"),
        d("2027-07-16"),
        d("2027-07-19"),
    ]
    assert cal.visitable_days("K1", d("2026-01-01"), d("2026-09-02")) == [
        d("2026-09-01"),
        d("2026-09-02"),
    ]
    assert cal.visitable_days("K1", d("2027-08-01"), d("2027-08-31")) == []


def test_visitable_days_agree_with_may_visit_day_by_day(cal: Calendar) -> None:
    for contract_id in ("K1", "K2"):
        start = d("2026-08-01")
        span = [date.fromordinal(start.toordinal() + i) for i in range(400)]
        assert cal.visitable_days(contract_id) == [
            day for day in span if cal.may_visit(contract_id, day)
        ]


def test_term_and_holiday_days_split_the_visitable_days(cal: Calendar) -> None:
    start, end = d("2026-10-19"), d("2026-11-06")
    weekdays = {
        "autumn": [d(f"2026-10-{n}") for n in range(19, 24)],
        "half-term": [d(f"2026-10-{n}") for n in range(26, 31)],
        "november": [d(f"2026-11-0{n}") for n in range(2, 7)],
    }
    assert cal.term_days("K2", start, end) == weekdays["autumn"] + weekdays["november"]
    assert cal.holiday_days("K2", start, end) == weekdays["half-term"]
    assert cal.holiday_days("K1") == []
    assert cal.term_days("K1") == cal.visitable_days("K1")
    whole = sorted(cal.term_days("K2") + cal.holiday_days("K2"))
    assert whole == cal.visitable_days("K2")


@pytest.mark.parametrize(
    ("technician_id", "day", "reason"),
    [
        ("TA", "2026-09-03", None),  # Thursday
        ("TA", "2026-09-04", "not a working day (Fri)"),
        ("TA", "2026-11-09", "leave: annual leave"),
        ("TA", "2026-11-12", "leave: annual leave"),
        ("TA", "2026-11-13", "not a working day (Fri)"),
        ("TA", "2026-11-16", None),
        ("TB", "2026-09-04", None),
        ("TB", "2026-09-05", "not a working day (Sat)"),
        ("TB", "2026-12-25", None),  # a school's nation decides holidays, not the technician
        ("TB", "2027-03-01", "leave"),
    ],
)
def test_technician_available(
    cal: Calendar, technician_id: str, day: str, reason: str | None
) -> None:
    assert cal.technician_unavailable_reason(technician_id, d(day)) == reason
    assert cal.technician_available(technician_id, d(day)) is (reason is None)


def test_datetimes_are_refused(cal: Calendar) -> None:
    with pytest.raises(TypeError):
        cal.school_open("E1", datetime(2026, 9, 1, 9, 0))
    with pytest.raises(TypeError):
        cal.is_public_holiday(Nation.ENG, datetime(2026, 12, 25))


def test_unknown_ids_raise(cal: Calendar) -> None:
    with pytest.raises(KeyError):
        cal.school_open("nope", d("2026-09-01"))
    with pytest.raises(KeyError):
        cal.visitable_days("nope")


def test_example_scenario() -> None:
    """Rows copied from /work/shared/spec/example (the CSV reader is not used here)."""
    kent = [
        ("2026-09-03", "2026-10-23"),
        ("2026-11-02", "2026-12-18"),
        ("2027-01-05", "2027-02-12"),
        ("2027-02-22", "2027-03-25"),
        ("2027-04-12", "2027-05-28"),
        ("2027-06-07", "2027-07-21"),
    ]
    scotland = [
        ("2026-08-18", "2026-10-09"),
        ("2026-10-19", "2026-12-22"),
        ("2027-01-06", "2027-02-12"),
        ("2027-02-17", "2027-03-31"),
        ("2027-04-19", "2027-06-25"),
    ]
    cal = Calendar.from_scenario(
        Scenario(
            schools=[
                School("S0005", "Ashford", 51.1, 0.91, Nation.ENG, "KENT", holiday_access=True),
                School("S0009", "Sevenoaks", 51.2, 0.16, Nation.ENG, "KENT"),
                School("S0026", "Edinburgh", 56.0, -3.2, Nation.SCT, "SCOTLAND"),
            ],
            term_dates=[TermBlock("KENT", d(a), d(b)) for a, b in kent]
            + [TermBlock("SCOTLAND", d(a), d(b)) for a, b in scotland],
            closures=[Closure("S0009", d("2026-09-10"), d("2026-09-10"), "INSET day")],
            contracts=[
                contract("C0009", "S0009", "2026-09-01", 46),
                contract("C0026", "S0026", "2026-08-18", 46),
            ],
            settings=Settings(shutdown=((d("2026-12-21"), d("2027-01-01")),)),
        )
    )
    days = cal.visitable_days("C0009")
    # Counted by hand, block by block: 37 - INSET + 35 + 29 + 24 + (35 - May Day) + 31.
    assert len(days) == 189
    assert (days[0], days[-1]) == (d("2026-09-03"), d("2027-07-19"))
    assert cal.closed_reason("S0009", d("2026-09-10")) == "closure: INSET day"
    assert cal.closed_reason("S0026", d("2026-11-30")) == "public holiday: Saint Andrew's Day (SCT)"
    assert cal.closed_reason("S0026", d("2026-12-22")) == "company shutdown"  # last day of term
    assert cal.closed_reason("S0005", d("2027-02-17")) is None  # Kent half-term
    assert cal.closed_reason("S0009", d("2027-02-17")) == "outside term"
    assert cal.contract_closed_reason("C0026", d("2027-06-28")) == "outside term"
    assert cal.contract_closed_reason("C0026", d("2027-07-06")) == "outside contract period"

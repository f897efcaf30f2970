"""ICS calendars parsed back with icalendar: times, UIDs, SEQUENCE and cancellations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from scheduler.domain import LONDON, PlannedVisit, Scenario, VisitKind
from scheduler.scenario import read_scenario
from scheduler.services.calendars import calendar_files, file_id, visit_uid
from scheduler.store.versions import PublishedVisit
from tests.support import EXAMPLE

FIRST, LAST = date(2026, 10, 19), date(2026, 11, 1)
STAMP = datetime(2026, 10, 16, 22, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return read_scenario(EXAMPLE)[0]


def visit(
    visit_id: str,
    day: date,
    technician: str = "T001",
    school: str = "S0001",
    window: tuple[str, time, time] = ("AM", time(8, 30), time(11, 30)),
    kind: VisitKind = VisitKind.SCHEDULED,
) -> PlannedVisit:
    name, start, end = window
    return PlannedVisit(visit_id, day, name, start, end, school, "C0001", technician, kind)


def files(
    scenario: Scenario,
    current: list[PublishedVisit],
    baseline: list[PublishedVisit] | None = None,
    sequences: dict[str, int] | None = None,
) -> dict[str, Calendar]:
    raw = calendar_files(
        scenario,
        current=current,
        baseline=baseline or [],
        sequences=sequences or {},
        stamp=STAMP,
        first_day=FIRST,
        last_day=LAST,
    )
    return {name: Calendar.from_ical(data) for name, data in raw.items()}


def by_uid(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_times_are_london_wall_clock_on_both_sides_of_the_clock_change(scenario) -> None:
    summer = visit("V-summer", date(2026, 10, 23))
    winter = visit("V-winter", date(2026, 10, 26), window=("PM", time(12, 30), time(15, 30)))
    calendar = files(scenario, [PublishedVisit(summer), PublishedVisit(winter)])[
        "technician-T001.ics"
    ]
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    events = by_uid(calendar)
    start = events[visit_uid("V-summer")].decoded("DTSTART")
    assert start == datetime(2026, 10, 23, 8, 30, tzinfo=LONDON)
    assert start.astimezone(UTC).hour == 7  # BST
    late = events[visit_uid("V-winter")]
    assert late.decoded("DTSTART").astimezone(UTC).hour == 12  # GMT
    assert late.decoded("DTEND") == datetime(2026, 10, 26, 15, 30, tzinfo=LONDON)
    assert "TZID=Europe/London" in calendar.to_ical().decode()


def test_an_event_names_its_school_where_it_is_and_who_comes(scenario) -> None:
    published = PublishedVisit(visit("V-1", date(2026, 10, 20), technician="T002"))
    calendars = files(scenario, [published], sequences={"V-1": 3})
    event = by_uid(calendars["technician-T002.ics"])["V-1@school-visit-planner"]
    assert str(event["SUMMARY"]) == "IT support visit: Dartford Primary School 1"
    assert str(event["LOCATION"]) == "Dartford Primary School 1, XX34 3AB"
    assert (event["GEO"].latitude, event["GEO"].longitude) == (51.47976, 0.22656)
    assert int(event["SEQUENCE"]) == 3 and str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP") == STAMP
    school_event = by_uid(calendars["school-S0001.ics"])["V-1@school-visit-planner"]
    assert str(school_event["SUMMARY"]).endswith("(Technician 2)")
    assert str(calendars["school-S0001.ics"]["METHOD"]) == "PUBLISH"


def test_a_cancelled_visit_is_sent_as_cancelled_to_technician_and_school(scenario) -> None:
    gone = PublishedVisit(visit("V-gone", date(2026, 10, 21)), cancelled=True)
    calendars = files(scenario, [gone], sequences={"V-gone": 1})
    for name in ("technician-T001.ics", "school-S0001.ics"):
        event = by_uid(calendars[name])[visit_uid("V-gone")]
        assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
        assert str(event["SUMMARY"]).startswith("Cancelled: ")


def test_a_reassigned_visit_is_cancelled_in_the_old_technicians_calendar(scenario) -> None:
    before = PublishedVisit(visit("V-1", date(2026, 10, 21), technician="T001"))
    after = PublishedVisit(visit("V-1", date(2026, 10, 21), technician="T003"))
    calendars = files(scenario, [after], baseline=[before], sequences={"V-1": 1})
    old = by_uid(calendars["technician-T001.ics"])[visit_uid("V-1")]
    new = by_uid(calendars["technician-T003.ics"])[visit_uid("V-1")]
    assert (str(old["STATUS"]), int(old["SEQUENCE"])) == ("CANCELLED", 1)
    assert (str(new["STATUS"]), int(new["SEQUENCE"])) == ("CONFIRMED", 1)
    school = by_uid(calendars["school-S0001.ics"])
    assert str(school[visit_uid("V-1")]["STATUS"]) == "CONFIRMED"  # one event, not two


def test_everyone_in_the_book_gets_a_valid_calendar_even_without_visits(scenario) -> None:
    calendars = files(scenario, [])
    expected = {f"technician-{t.technician_id}.ics" for t in scenario.technicians}
    expected |= {f"school-{s.school_id}.ics" for s in scenario.schools}
    assert set(calendars) == expected
    empty = calendars["school-S0002.ics"]
    assert empty.walk("VEVENT") == [] and len(empty.walk("VTIMEZONE")) == 1


def test_dedicated_days_read_as_a_day_on_site(scenario) -> None:
    day = visit(
        "D-1", date(2026, 10, 20), school="S0011",
        window=("DAY", time(8), time(18)), kind=VisitKind.DEDICATED,
    )  # fmt: skip
    event = by_uid(files(scenario, [PublishedVisit(day)])["school-S0011.ics"])[visit_uid("D-1")]
    assert str(event["SUMMARY"]).startswith("On-site day: Newport Primary School 11")
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=10)


def test_ids_cannot_escape_the_calendars_folder() -> None:
    assert file_id("T001") == "T001"
    assert file_id("../north/T 1") == ".._north_T_1"

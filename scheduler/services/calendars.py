"""ICS calendars of a published roster: one per technician, one per school.

Times are Europe/London wall-clock times with a TZID and a VTIMEZONE built from
the zoneinfo database for just the weeks shown. A visit is "08:30 at the school"
whatever the clocks do: Outlook needs the VTIMEZONE to trust the TZID, Google and
Apple also recognise the IANA name itself, and a reader of the file sees the
times the roster shows, where UTC would put summer visits an hour off.

Calendar apps match events by UID, so each visit's UID comes from its visit_id
alone (kept by the planner when a visit moves or changes hands): an app updates
the event instead of adding a second one. SEQUENCE is the number of published
changes to what the event shows, so an app takes the newest; with METHOD:PUBLISH,
STATUS:CANCELLED removes a visit, both when it is cancelled and, in the old
technician's calendar, when it is given to someone else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, Timezone

from scheduler.domain import LONDON, PlannedVisit, Scenario, School, VisitKind
from scheduler.store.versions import PublishedVisit

PRODID = "-//School Visit Planner//Weekly roster//EN"
UID_DOMAIN = "school-visit-planner"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def visit_uid(visit_id: str) -> str:
    """Stable across versions and calendars: the visit's identity, not its slot or owner."""
    return f"{visit_id}@{UID_DOMAIN}"


def file_id(owner_id: str) -> str:
    """An id as a file name part: ids are free text, but a `/` must not open a folder."""
    return _UNSAFE.sub("_", owner_id)


def feeds(
    current: Sequence[PublishedVisit],
    baseline: Sequence[PublishedVisit],
    owner: Callable[[PlannedVisit], str],
) -> dict[str, list[PublishedVisit]]:
    """The events each owner's calendar carries: its visits now (planned or cancelled), and
    as cancelled each visit it showed in the baseline that has left it, so the previous
    technician's app drops a visit that was given to someone else."""
    by_owner: dict[str, list[PublishedVisit]] = {}
    for published in current:
        by_owner.setdefault(owner(published.visit), []).append(published)
    shown = {(key, p.visit.visit_id) for key, rows in by_owner.items() for p in rows}
    for published in baseline:
        key = owner(published.visit)
        if not published.cancelled and (key, published.visit.visit_id) not in shown:
            by_owner.setdefault(key, []).append(PublishedVisit(published.visit, cancelled=True))
    return by_owner


def visit_event(
    published: PublishedVisit,
    *,
    summary: str,
    school: School | None,
    technician_name: str,
    sequence: int,
    stamp: datetime,
) -> Event:
    visit = published.visit
    event = Event()
    event.add("uid", visit_uid(visit.visit_id))
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("dtstart", datetime.combine(visit.date, visit.start, LONDON))
    event.add("dtend", datetime.combine(visit.date, visit.end, LONDON))
    event.add("summary", f"Cancelled: {summary}" if published.cancelled else summary)
    event.add("status", "CANCELLED" if published.cancelled else "CONFIRMED")
    if school is not None:
        event.add("location", ", ".join(part for part in (school.name, school.postcode) if part))
        event.add("geo", (school.lat, school.lon))
    event.add(
        "description",
        "\n".join(
            [
                f"Window: {visit.window} {visit.start:%H:%M}-{visit.end:%H:%M}",
                f"Technician: {technician_name}",
                f"Contract: {visit.contract_id} ({visit.kind.value})",
                f"Visit: {visit.visit_id}",
            ]
        ),
    )
    return event


def london_timezone(first_day: date, last_day: date) -> Timezone:
    """The VTIMEZONE for the weeks shown only: two short rules instead of decades of them."""
    return Timezone.from_tzid(
        LONDON.key, first_date=first_day, last_date=last_day + timedelta(days=1)
    )


def roster_calendar(name: str, timezone: Timezone, events: Sequence[Event]) -> Calendar:
    """Always with its VTIMEZONE, so even a calendar without visits is a valid one."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", LONDON.key)
    calendar.add_component(timezone)
    for event in events:
        calendar.add_component(event)
    return calendar


def calendar_files(
    scenario: Scenario,
    *,
    current: Sequence[PublishedVisit],
    baseline: Sequence[PublishedVisit],
    sequences: Mapping[str, int],
    stamp: datetime,
    first_day: date,
    last_day: date,
) -> dict[str, bytes]:
    """`technician-<id>.ics` and `school-<id>.ics` for everyone in the book or the roster.

    Everyone gets a file, even an empty one, so a subscribed feed never goes stale
    with last week's visits.
    """
    schools = {s.school_id: s for s in scenario.schools}
    technicians = {t.technician_id: t for t in scenario.technicians}
    timezone = london_timezone(first_day, last_day)

    def tech_name(technician_id: str) -> str:
        technician = technicians.get(technician_id)
        return technician_id if technician is None else technician.name

    def school_name(school_id: str) -> str:
        school = schools.get(school_id)
        return school_id if school is None else school.name

    files: dict[str, bytes] = {}
    by_technician = feeds(current, baseline, lambda v: v.technician_id)
    for technician_id in sorted(technicians.keys() | by_technician.keys()):
        events = [
            visit_event(
                p,
                summary=_what(p.visit, school_name(p.visit.school_id)),
                school=schools.get(p.visit.school_id),
                technician_name=tech_name(technician_id),
                sequence=sequences.get(p.visit.visit_id, 0),
                stamp=stamp,
            )
            for p in _in_time_order(by_technician.get(technician_id, []))
        ]
        name = f"Visits: {tech_name(technician_id)}"
        calendar = roster_calendar(name, timezone, events)
        files[f"technician-{file_id(technician_id)}.ics"] = calendar.to_ical()
    by_school = feeds(current, baseline, lambda v: v.school_id)
    for school_id in sorted(schools.keys() | by_school.keys()):
        events = [
            visit_event(
                p,
                summary=f"{_what(p.visit, school_name(school_id))} "
                f"({tech_name(p.visit.technician_id)})",
                school=schools.get(school_id),
                technician_name=tech_name(p.visit.technician_id),
                sequence=sequences.get(p.visit.visit_id, 0),
                stamp=stamp,
            )
            for p in _in_time_order(by_school.get(school_id, []))
        ]
        name = f"IT support visits: {school_name(school_id)}"
        calendar = roster_calendar(name, timezone, events)
        files[f"school-{file_id(school_id)}.ics"] = calendar.to_ical()
    return files


def _what(visit: PlannedVisit, school_name: str) -> str:
    if visit.kind is VisitKind.DEDICATED:
        return f"On-site day: {school_name}"
    if visit.kind is VisitKind.EMERGENCY:
        return f"Emergency callout: {school_name}"
    return f"IT support visit: {school_name}"


def _in_time_order(rows: Sequence[PublishedVisit]) -> list[PublishedVisit]:
    return sorted(rows, key=lambda p: (p.visit.date, p.visit.start, p.visit.visit_id))

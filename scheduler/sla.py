"""The service-level clock as data: working time, targets, pauses and whether a ticket met them.

Providers' SLAs differ in hours, priority names, units and time zone, so a policy
is a table of sla.toml (`SlaPolicy.table`) that `parse_policy` turns into a
`Policy`; nothing here knows one provider from another. Deadlines walk working
time over spans precomputed as epoch seconds per day and bisect a running total
to skip whole days (`WorkingTime`), never minute by minute, because a national
book times 100,000 tickets at once.

The spec's keys (`hours`, `response_hours`, `resolution_hours`, `target`) keep
their meaning; the extensions below are optional, so every spec file is valid:

- `hours` grammar: `;`-separated day groups, each `DAYS SPANS`, DAYS a `,`-list
  of `Mon` or `Mon-Fri`, SPANS a `,`-list of `HH:MM-HH:MM`; `24:00` ends a day
  ("Mon-Fri 08:00-12:00,13:00-17:00; Sat 09:00-12:00", "Mon-Sun 00:00-24:00").
- `timezone` (default Europe/London, the format's own): the zone the hours are read in.
- `priorities`: the provider's own labels, most severe first (default urgent,
  high, medium, low). Everywhere a priority is named (tickets, target tables,
  `clock`, `matrix`) a label or the spec's name of the same rank is accepted,
  so tickets logged `urgent` are P1 under a P1-P4 policy.
- `response` / `resolution`: targets with units, `"4h"` working hours or `"3d"`
  working days (a bare number is hours); they replace `response_hours` /
  `resolution_hours`. Each covers every priority or none (`{}`: not measured).
- `exclude_holidays` (default true): public holidays of the school's nation
  and the company shutdown stop the clock.
- `clock.<priority>`: `hours` and `exclude_holidays` for one priority (a 24x7 P1).
- `matrix.<impact>.<urgency>` = priority: impact x urgency decides the priority.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from scheduler.calendar import public_holidays
from scheduler.domain import LONDON, WEEKDAY_NAMES, Contract, Nation, Priority, SlaPolicy, Ticket
from scheduler.errors import InputError, Problem

SLA_FILE = "sla.toml"
STANDARD = "standard"
SPEC_PRIORITIES: tuple[str, ...] = tuple(p.value for p in Priority)
"""The spec's names, by rank: urgent is the first priority of any policy, low the fourth."""

STANDARD_TABLE: Mapping[str, Any] = {
    "hours": "Mon-Fri 08:00-16:30",
    "response_hours": {"urgent": 1, "high": 2, "medium": 4, "low": 8},
    "resolution_hours": {"urgent": 8, "high": 16, "medium": 40, "low": 80},
    "target": 0.95,
}
"""The spec's default policy; it times tickets of schools whose contract names none."""

_KNOWN_KEYS = (
    "hours",
    "response_hours",
    "resolution_hours",
    "target",
    "timezone",
    "priorities",
    "response",
    "resolution",
    "exclude_holidays",
    "clock",
    "matrix",
)
_MAX_WALK_DAYS = 3 * 366
"""A clock with no working time for years is a broken policy, not a slow ticket."""
_MINUTES_PER_DAY = 24 * 60


# --------------------------------------------------------------------------- working hours


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Spans per weekday in minutes from local midnight; index = `date.weekday()`."""

    text: str
    days: tuple[tuple[tuple[int, int], ...], ...]


_GROUP_RE = re.compile(r"(?P<days>\S+)\s+(?P<spans>\S.*)")
_CLOCK_RE = re.compile(r"(\d{2}):(\d{2})")


def _minute(text: str) -> int:
    match = _CLOCK_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text.strip()!r} is not a time HH:MM")
    hour, minute = int(match[1]), int(match[2])
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise ValueError(f"{text.strip()!r} is not a time between 00:00 and 24:00")
    return hour * 60 + minute


def _weekdays(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        try:
            lo = WEEKDAY_NAMES.index(first)
            hi = WEEKDAY_NAMES.index(last) if dash else lo
        except ValueError:
            raise ValueError(f"{part!r} is not a day or day range like Mon-Fri") from None
        if lo > hi:
            raise ValueError(f"{part!r} runs backwards; write it as two ranges")
        days.extend(range(lo, hi + 1))
    return days


def parse_hours(text: str) -> WorkingHours:
    """Several spans a day and several day groups, because real desks close for lunch and
    open on Saturday mornings; a span never crosses midnight (write `24:00` and `00:00`)."""
    spans: list[list[tuple[int, int]]] = [[] for _ in WEEKDAY_NAMES]
    for group in text.split(";"):
        match = _GROUP_RE.fullmatch(group.strip())
        if not match:
            raise ValueError(f"{group.strip()!r} is not DAYS SPANS like Mon-Fri 08:00-16:30")
        for span in match["spans"].split(","):
            start, dash, end = span.partition("-")
            if not dash:
                raise ValueError(f"{span.strip()!r} is not a span HH:MM-HH:MM")
            first, last = _minute(start), _minute(end)
            if first >= last:
                raise ValueError(f"{span.strip()!r} ends before it starts")
            for day in _weekdays(match["days"]):
                spans[day].append((first, last))
    for day, found in enumerate(spans):
        found.sort()
        for (_, end), (start, _) in pairwise(found):
            if start < end:
                raise ValueError(f"spans overlap on {WEEKDAY_NAMES[day]}")
    if not any(spans):
        raise ValueError("no working time at all")
    return WorkingHours(text, tuple(tuple(day) for day in spans))


# --------------------------------------------------------------------------- policies


class Unit(StrEnum):
    HOURS = "h"
    DAYS = "d"


@dataclass(frozen=True, slots=True)
class Target:
    """Working hours, or working days: a day counts whole whatever its length, so "1 day"
    from 10:00 is 10:00 the next working day, and from out of hours its close of business."""

    amount: float
    unit: Unit

    def __str__(self) -> str:
        word = "working hour" if self.unit is Unit.HOURS else "working day"
        return f"{self.amount:g} {word}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Clock:
    """When the clock runs for one priority; hashable, so working time is cached per clock."""

    hours: WorkingHours
    exclude_holidays: bool = True


@dataclass(frozen=True, slots=True)
class Level:
    """One priority of a policy; a target of None is not measured (a response-only SLA)."""

    label: str
    rank: int
    response: Target | None
    resolution: Target | None
    clock: Clock


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    zone: ZoneInfo
    levels: tuple[Level, ...]
    target: float
    matrix: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(impact, urgency) -> label."""
    ranks: Mapping[str, int] = field(default_factory=dict)
    """Every name a ticket may give a priority: the labels and the spec's names of their ranks."""

    def level(self, priority: str) -> Level:
        """By the provider's label or the spec's name of its rank; KeyError when neither."""
        return self.levels[self.ranks[priority]]

    def priority_for(self, impact: str, urgency: str) -> str:
        """The label an impact x urgency matrix gives; KeyError when the policy has no such cell."""
        return self.matrix[(impact, urgency)]

    def expected_priority(self) -> str:
        """What a ticket's priority may be, for the message that refuses one."""
        labels = [level.label for level in self.levels]
        aliases = [name for name in SPEC_PRIORITIES[: len(labels)] if name not in labels]
        text = f"a priority of policy {self.name}: " + ", ".join(labels)
        return text + (f" (or {', '.join(aliases)})" if aliases else "")


def _rank(name: str, labels: Sequence[str]) -> int | None:
    if name in labels:
        return labels.index(name)
    if name in SPEC_PRIORITIES and SPEC_PRIORITIES.index(name) < len(labels):
        return SPEC_PRIORITIES.index(name)
    return None


_TARGET_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([hd])\s*")


def parse_target(value: object) -> Target:
    """`"4h"`, `"3d"` or a bare number of hours (the spec's `*_hours` tables)."""
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int | float):
        amount, unit = float(value), Unit.HOURS
    elif isinstance(value, str) and (match := _TARGET_RE.fullmatch(value)):
        amount, unit = float(match[1]), Unit(match[2])
    else:
        raise ValueError(value)
    if not (math.isfinite(amount) and amount > 0):
        raise ValueError(value)
    return Target(amount, unit)


class _PolicyReader:
    """Reads one policy table, collecting every problem under its dotted key (the "column")."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def fail(self, key: str, value: object, expected: str, *, warning: bool = False) -> None:
        text = value if isinstance(value, str) else repr(value)
        severity = "warning" if warning else "error"
        self.problems.append(
            Problem(SLA_FILE, None, f"policy.{self.name}.{key}", text, expected, severity)
        )

    def get(
        self,
        table: Mapping[str, Any],
        key: str,
        convert: Callable[[Any], Any],
        expected: str,
        default: Any,
        *,
        path: str | None = None,
    ) -> Any:
        if key not in table:
            return default
        try:
            return convert(table[key])
        except (ValueError, TypeError, KeyError) as error:
            why = error.args[0] if isinstance(error, ValueError) and error.args else None
            if isinstance(why, str) and why != table[key]:
                expected = f"{expected} ({why})"
            self.fail(path or key, table[key], expected)
            return default

    def read(self, table: object) -> Policy | None:
        if not isinstance(table, Mapping):
            self.problems.append(
                Problem(SLA_FILE, None, f"policy.{self.name}", repr(table), "a table")
            )
            return None
        for key in sorted(set(table) - set(_KNOWN_KEYS)):
            self.fail(key, key, "one of " + ", ".join(_KNOWN_KEYS), warning=True)
        zone = self.get(table, "timezone", _zone, "an IANA time zone like Europe/London", LONDON)
        labels = self.get(
            table,
            "priorities",
            _labels,
            "a list of distinct priority names, most severe first",
            SPEC_PRIORITIES,
        )
        hours = self.get(
            table,
            "hours",
            lambda v: parse_hours(_text(v)),
            'working time like "Mon-Fri 08:00-12:00,13:00-17:00"',
            parse_hours(STANDARD_TABLE["hours"]),
        )
        exclude = self.get(table, "exclude_holidays", _flag, "true or false", True)
        clocks = self._clocks(table, labels, Clock(hours, exclude))
        response = self._targets(table, "response", labels)
        resolution = self._targets(table, "resolution", labels)
        target = self.get(
            table, "target", _share, "a number above 0, at most 1", STANDARD_TABLE["target"]
        )
        matrix = self._matrix(table.get("matrix", {}), labels)
        levels = tuple(
            Level(label, rank, response.get(rank), resolution.get(rank), clocks[rank])
            for rank, label in enumerate(labels)
        )
        names = [*labels, *SPEC_PRIORITIES[: len(labels)]]
        ranks = {name: rank for name in names if (rank := _rank(name, labels)) is not None}
        return Policy(self.name, zone, levels, target, matrix, ranks)

    def _resolve(self, key: str, name: object, labels: Sequence[str]) -> int | None:
        rank = _rank(name, labels) if isinstance(name, str) else None
        if rank is None:
            self.fail(key, name, "one of the policy's priorities: " + ", ".join(labels))
        return rank

    def _clocks(
        self, table: Mapping[str, Any], labels: Sequence[str], default: Clock
    ) -> list[Clock]:
        clocks = [default] * len(labels)
        overrides = table.get("clock", {})
        if not isinstance(overrides, Mapping):
            self.fail("clock", overrides, "a table of priorities")
            return clocks
        for name, spec in overrides.items():
            rank = self._resolve(f"clock.{name}", name, labels)
            if rank is None:
                continue
            if not isinstance(spec, Mapping):
                self.fail(f"clock.{name}", spec, "a table with hours and/or exclude_holidays")
                continue
            for key in sorted(set(spec) - {"hours", "exclude_holidays"}):
                self.fail(f"clock.{name}.{key}", key, "hours or exclude_holidays", warning=True)
            clocks[rank] = Clock(
                self.get(
                    spec,
                    "hours",
                    lambda v: parse_hours(_text(v)),
                    'working time like "Mon-Sun 00:00-24:00"',
                    default.hours,
                    path=f"clock.{name}.hours",
                ),
                self.get(
                    spec,
                    "exclude_holidays",
                    _flag,
                    "true or false",
                    default.exclude_holidays,
                    path=f"clock.{name}.exclude_holidays",
                ),
            )
        return clocks

    def _targets(
        self, table: Mapping[str, Any], measure: str, labels: Sequence[str]
    ) -> dict[int, Target]:
        """`response` (with units) wins over `response_hours`, which the scenario reader fills
        with the standard's when absent; any other `response_hours` beside it is a conflict."""
        spec_key = f"{measure}_hours"
        if measure in table:
            key = measure
            if spec_key in table and table[spec_key] != STANDARD_TABLE[spec_key]:
                self.fail(spec_key, table[spec_key], f"absent: {measure} already gives the targets")
        else:
            key = spec_key
        values = table.get(key, STANDARD_TABLE[spec_key])
        if not isinstance(values, Mapping):
            self.fail(key, values, "a table of priority = target")
            return {}
        targets: dict[int, Target] = {}
        named: set[int] = set()
        convert = parse_target if key == measure else _hours_target
        for name in values:
            rank = self._resolve(f"{key}.{name}", name, labels)
            target = self.get(
                values,
                name,
                convert,
                'a target like "4h" or "3d", above 0',
                None,
                path=f"{key}.{name}",
            )
            if rank is None:
                continue
            if rank in named:
                self.fail(f"{key}.{name}", name, f"{labels[rank]} named once")
            named.add(rank)
            if target is not None:
                targets[rank] = target
        missing = [label for rank, label in enumerate(labels) if rank not in named]
        if values and missing:
            expected = "a target for every priority, or {} for none"
            self.fail(key, "no " + ", ".join(missing), expected)
        return targets

    def _matrix(self, matrix: object, labels: Sequence[str]) -> dict[tuple[str, str], str]:
        cells: dict[tuple[str, str], str] = {}
        if not isinstance(matrix, Mapping):
            self.fail("matrix", matrix, "a table impact -> urgency -> priority")
            return cells
        for impact, row in matrix.items():
            if not isinstance(row, Mapping):
                self.fail(f"matrix.{impact}", row, "a table urgency = priority")
                continue
            for urgency, name in row.items():
                rank = self._resolve(f"matrix.{impact}.{urgency}", name, labels)
                if rank is not None:
                    cells[(impact, urgency)] = labels[rank]
        return cells


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def _share(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError(value)
    return float(value)


def _zone(value: object) -> ZoneInfo:
    return ZoneInfo(_text(value))


def _labels(value: object) -> tuple[str, ...]:
    """A label that is the spec's name of another rank would make `high` mean two things."""
    if not isinstance(value, list) or not value:
        raise ValueError(value)
    labels = tuple(_text(item).strip() for item in value)
    if len(set(labels)) != len(labels) or not all(labels):
        raise ValueError(value)
    for rank, label in enumerate(labels):
        if label in SPEC_PRIORITIES and SPEC_PRIORITIES.index(label) != rank:
            number = SPEC_PRIORITIES.index(label) + 1
            raise ValueError(f"{label} may only be priority number {number}")
    return labels


def _hours_target(value: object) -> Target:
    """The spec's `*_hours` tables hold plain numbers."""
    if isinstance(value, str):
        raise TypeError(value)
    return parse_target(value)


def parse_policy(policy: SlaPolicy) -> Policy:
    """Raises InputError naming sla.toml and the dotted key of every error in the table."""
    reader = _PolicyReader(policy.name)
    parsed = reader.read(policy.table)
    if parsed is None or any(p.severity == "error" for p in reader.problems):
        raise InputError(reader.problems)
    return parsed


def policy_problems(policies: Iterable[SlaPolicy]) -> list[Problem]:
    """Every error and warning of every policy, for a reader that reports all problems at once."""
    problems: list[Problem] = []
    for policy in policies:
        reader = _PolicyReader(policy.name)
        reader.read(policy.table)
        problems.extend(reader.problems)
    return problems


def parse_policies(policies: Iterable[SlaPolicy]) -> dict[str, Policy]:
    """By name; `standard` is always there, as contracts that name no policy fall back to it."""
    tables = {STANDARD: SlaPolicy(STANDARD, dict(STANDARD_TABLE))}
    tables |= {policy.name: policy for policy in policies}
    problems = policy_problems(tables.values())
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return {name: parse_policy(policy) for name, policy in tables.items()}


# --------------------------------------------------------------------------- the clock

Interval = tuple[int, int]
"""[start, end) in epoch seconds: arithmetic on ints is exact and fast, across DST too."""


def _unpaused(start: int, end: int, pauses: Sequence[Interval]) -> Iterator[Interval]:
    """The parts of [start, end) outside the (sorted, disjoint) pauses."""
    for pause_start, pause_end in pauses:
        if pause_end <= start:
            continue
        if pause_start >= end:
            break
        if pause_start > start:
            yield start, pause_start
        start = max(start, pause_end)
        if start >= end:
            return
    if start < end:
        yield start, end


class _Day(NamedTuple):
    spans: tuple[Interval, ...]
    length: int
    """Working seconds in the day: 0 on a closed day; a working day's unit in `Unit.DAYS`."""


class _Year(NamedTuple):
    first: int
    """Ordinal of 1 January (local)."""
    elapsed: list[int]
    """`elapsed[i]`: working seconds from 1 January to the start of day `first + i`."""


def _paused_within(pauses: Sequence[Interval], start: int, end: int) -> bool:
    return any(pause_start < end and pause_end > start for pause_start, pause_end in pauses)


class WorkingTime:
    """One clock's working time for schools of one nation, as epoch-second spans per local day.

    Days and each year's running total are built on first use and cached: a book's
    100,000 tickets share a few clocks, nations and years, so a deadline costs a walk
    through its first day (and its pauses) and then one bisection, not a walk of weeks.
    """

    def __init__(
        self, clock: Clock, zone: ZoneInfo, nation: Nation, shutdown: frozenset[date]
    ) -> None:
        self._clock = clock
        self._zone = zone
        self._nation = nation
        self._shutdown = shutdown
        self._days: dict[int, _Day] = {}
        self._years: dict[int, _Year] = {}

    def stops_for(self, day: date) -> bool:
        """Public holidays of the school's nation and the shutdown stop the clock, unless the
        policy opts out (a 24x7 P1 desk works Christmas Day)."""
        if not self._clock.exclude_holidays:
            return False
        return day in self._shutdown or day in public_holidays(self._nation, day.year)

    def _day(self, ordinal: int) -> _Day:
        day = date.fromordinal(ordinal)
        hours = () if self.stops_for(day) else self._clock.hours.days[day.weekday()]
        spans = tuple((self._epoch(day, first), self._epoch(day, last)) for first, last in hours)
        found = _Day(spans, sum(last - first for first, last in spans))
        self._days[ordinal] = found
        return found

    def _epoch(self, day: date, minute: int) -> int:
        carry, minute = divmod(minute, _MINUTES_PER_DAY)
        local = datetime.combine(day + timedelta(days=carry), time(minute // 60, minute % 60))
        return int(local.replace(tzinfo=self._zone).timestamp())

    def _year(self, year: int) -> _Year:
        found = self._years.get(year)
        if found is None:
            first = date(year, 1, 1).toordinal()
            elapsed = [0]
            for ordinal in range(first, date(year + 1, 1, 1).toordinal()):
                elapsed.append(elapsed[-1] + (self._days.get(ordinal) or self._day(ordinal)).length)
            found = self._years[year] = _Year(first, elapsed)
        return found

    def _skip_whole_days(self, ordinal: int, left: float) -> tuple[int, float]:
        """The day on which `left` seconds of working time from the start of `ordinal` run out,
        and what is left at that day's start: the whole days before it are skipped."""
        for _ in range(_MAX_WALK_DAYS // 365 + 1):
            year = self._year(date.fromordinal(ordinal).year)
            before = year.elapsed[ordinal - year.first]
            if left <= year.elapsed[-1] - before:
                index = bisect_left(year.elapsed, before + left, lo=ordinal - year.first + 1) - 1
                return year.first + index, left - (year.elapsed[index] - before)
            left -= year.elapsed[-1] - before
            ordinal = year.first + len(year.elapsed) - 1
        raise ValueError(f"no working time within {_MAX_WALK_DAYS} days")

    def deadline(
        self, start: datetime, target: Target, pauses: Sequence[Interval] = ()
    ) -> datetime:
        """`start` plus `target` of working time, the clock stopped inside `pauses`.

        A deadline that uses up a span exactly is that span's end (16:30), not the next
        morning; a pause that starts after the deadline has passed cannot move it.
        """
        (due,) = self.deadlines(start, (target,), pauses)
        assert due is not None
        return due

    def deadlines(
        self, start: datetime, targets: Sequence[Target | None], pauses: Sequence[Interval] = ()
    ) -> list[datetime | None]:
        """`deadline` for several targets from one start (None where there is no target):
        a ticket's response and resolution share the conversion of their start."""
        now = int(start.timestamp())
        ordinal = start.astimezone(self._zone).toordinal()
        last_pause = datetime.fromtimestamp(pauses[-1][1], self._zone).toordinal() if pauses else 0
        whole_days_from = max(ordinal, last_pause) + 1
        return [
            None
            if target is None
            else datetime.fromtimestamp(
                self._due(now, ordinal, whole_days_from, target, pauses), self._zone
            )
            for target in targets
        ]

    def _due(
        self,
        now: int,
        ordinal: int,
        whole_days_from: int,
        target: Target,
        pauses: Sequence[Interval],
    ) -> int:
        in_days = target.unit is Unit.DAYS
        left = target.amount if in_days else target.amount * 3600
        days, build = self._days, self._day
        for _ in range(_MAX_WALK_DAYS):
            if ordinal == whole_days_from and not in_days:
                ordinal, left = self._skip_whole_days(ordinal, left)
            spans, length = days.get(ordinal) or build(ordinal)
            ordinal += 1
            if not length:
                continue
            opens, closes = spans[0][0], spans[-1][1]
            whole_day = opens >= now and not (pauses and _paused_within(pauses, opens, closes))
            if whole_day and (round(left * length) if in_days else left) > length:
                left -= 1 if in_days else length
                continue
            for first, last in spans:
                for begin, end in _unpaused(max(first, now), last, pauses):
                    need = round(left * length if in_days else left)
                    if need <= end - begin:
                        return begin + need
                    left -= (end - begin) / length if in_days else end - begin
        raise ValueError(f"no working time within {_MAX_WALK_DAYS} days of {now} (epoch)")


class WorkingTimes:
    """The `WorkingTime` of every (clock, zone, nation) a book needs, built once each."""

    def __init__(self, shutdown: Iterable[tuple[date, date]]) -> None:
        self._shutdown = frozenset(
            date.fromordinal(ordinal)
            for first, last in shutdown
            for ordinal in range(first.toordinal(), last.toordinal() + 1)
        )
        self._built: dict[tuple[str, int, Nation], WorkingTime] = {}

    def of(self, policy: Policy, level: Level, nation: Nation) -> WorkingTime:
        """Keyed by names, not by the clock itself, whose hash would be recomputed per ticket."""
        key = (policy.name, level.rank, nation)
        found = self._built.get(key)
        if found is None:
            found = WorkingTime(level.clock, policy.zone, Nation(nation), self._shutdown)
            self._built[key] = found
        return found


# --------------------------------------------------------------------------- tickets


@dataclass(frozen=True, slots=True)
class Timing:
    """Deadlines and outcomes (None where not measured, or not yet decided), with the answers
    they were judged on: those given by the as-of moment."""

    response_due: datetime | None = None
    resolution_due: datetime | None = None
    response_met: bool | None = None
    resolution_met: bool | None = None
    responded_at: datetime | None = None
    resolved_at: datetime | None = None


def require_aware(moment: datetime) -> datetime:
    """A naive time would be read in the machine's zone and shift every deadline by an hour."""
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: a time zone is required")
    return moment


def exempt_from_clock(ticket: Ticket) -> bool:
    """Emergency callouts are timed by arrival on site, not by the response/fix clock."""
    return ticket.emergency


def known_at(ticket: Ticket, as_of: datetime) -> Ticket:
    """The ticket as the desk knew it at `as_of`: later answers not yet given, later pauses
    not yet begun, and a pause still running treated as ending then (the earliest the
    clock can restart), so a report for a past date never uses hindsight."""
    as_of = _absolute(as_of)

    def by(moment: datetime | None) -> datetime | None:
        return moment if moment is not None and moment <= as_of else None

    answers = (ticket.responded_at, ticket.resolved_at)
    if all(by(moment) is moment for moment in answers) and all(
        end <= as_of for _, end in ticket.pauses
    ):
        return ticket
    pauses = tuple((start, min(end, as_of)) for start, end in ticket.pauses if start < as_of)
    return replace(
        ticket,
        responded_at=by(ticket.responded_at),
        resolved_at=by(ticket.resolved_at),
        pauses=pauses,
    )


def pause_intervals(pauses: Iterable[tuple[datetime, datetime]]) -> list[Interval]:
    """Sorted and merged, so overlapping pauses stop the clock once."""
    merged: list[Interval] = []
    for start, end in sorted((int(s.timestamp()), int(e.timestamp())) for s, e in pauses):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif start < end:
            merged.append((start, end))
    return merged


def _absolute(moment: datetime) -> datetime:
    """In UTC: Python compares two datetimes of one zone by wall clock, ignoring `fold`, which
    would misjudge the hour the clocks go back; across zones it compares real instants."""
    return require_aware(moment).astimezone(UTC)


def met(done_at: datetime | None, due: datetime | None, as_of: datetime) -> bool | None:
    """Decided when done, or once late while still open; unknown until then."""
    if due is None:
        return None
    if done_at is not None:
        return done_at <= _absolute(due)
    return False if as_of > _absolute(due) else None


def time_ticket(ticket: Ticket, level: Level, working: WorkingTime, as_of: datetime) -> Timing:
    """Deadlines from `opened_at` under the ticket's priority, judged as known at `as_of`."""
    known = known_at(ticket, as_of)
    if exempt_from_clock(ticket):
        return Timing(responded_at=known.responded_at, resolved_at=known.resolved_at)
    pauses = pause_intervals(known.pauses)
    response_due, resolution_due = working.deadlines(
        known.opened_at, (level.response, level.resolution), pauses
    )
    return Timing(
        response_due,
        resolution_due,
        met(known.responded_at, response_due, as_of),
        met(known.resolved_at, resolution_due, as_of),
        known.responded_at,
        known.resolved_at,
    )


def governing_contract(opened_at: datetime, contracts: Iterable[Contract]) -> Contract | None:
    """The school's contract running when the ticket was opened; else the one nearest in time
    (a ticket just after a lapse is still that customer's); None for a school without any,
    whose tickets the standard policy times."""
    candidates = list(contracts)
    if len(candidates) == 1:
        return candidates[0]
    day = opened_at.astimezone(LONDON).date()

    def distance(contract: Contract) -> int:
        if day < contract.start_date:
            return (contract.start_date - day).days
        return max(0, (day - contract.end_date).days)

    return min(candidates, key=lambda c: (distance(c), c.contract_id), default=None)


def ticket_time_problems(ticket: Ticket, row: int, file: str) -> list[Problem]:
    """Answers before opening and pauses outside the ticket's life make the clock meaningless;
    the scenario reader refuses them, this catches rows that reached the database otherwise."""
    problems: list[Problem] = []
    opened = _absolute(ticket.opened_at)
    for column, moment in (
        ("responded_at", ticket.responded_at),
        ("resolved_at", ticket.resolved_at),
    ):
        if moment is not None and moment < opened:
            expected = f"a time at or after opened_at {_stamp(opened)}"
            problems.append(Problem(file, row, column, _stamp(moment), expected))
    end = ticket.resolved_at or datetime.max.replace(tzinfo=UTC)
    for start, stop in ticket.pauses:
        if start < opened or stop > end or stop < start:
            problems.append(
                Problem(
                    file,
                    row,
                    "pauses",
                    f"{_stamp(start)}/{_stamp(stop)}",
                    "a pause inside the ticket's life, from opened_at to resolved_at",
                )
            )
    return problems


def _stamp(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")

"""Random but realistic instances for tests, tuning and benchmarks.

The shape follows a regional provider in England: schools in a 60 x 40 km
area (most in a few towns, the rest rural), technicians living in the same
area, 3-hour weekly (46 visits) and fortnightly (23 visits) contracts over
the 46 weeks from Tue 1 Sep 2026, the 2026-27 English school year with its
half-terms, bank holidays, a Christmas shutdown, INSET days and some leave.
Travel is great-circle km x 1.3 / 40 km/h, in whole minutes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from solver.instance import Contract, Instance, Technician, Window

WINDOWS = (
    Window("AM", 8 * 60 + 30, 11 * 60 + 30),
    Window("PM", 12 * 60 + 30, 15 * 60 + 30),
    Window("AM", 8 * 60 + 30, 10 * 60 + 30),
    Window("LUNCH", 11 * 60, 13 * 60),
    Window("PM", 14 * 60 + 30, 16 * 60),
)
FAMILY_3H = (0, 1)
FAMILY_2H = (2, 3, 4)

TERMS = (
    (date(2026, 9, 2), date(2026, 10, 23)),
    (date(2026, 11, 2), date(2026, 12, 18)),
    (date(2027, 1, 4), date(2027, 2, 12)),
    (date(2027, 2, 22), date(2027, 3, 25)),
    (date(2027, 4, 12), date(2027, 5, 28)),
    (date(2027, 6, 7), date(2027, 7, 21)),
)
BANK_HOLIDAYS = frozenset(
    date.fromisoformat(d)
    for d in (
        "2026-12-25",
        "2026-12-28",
        "2027-01-01",
        "2027-03-26",
        "2027-03-29",
        "2027-05-03",
        "2027-05-31",
    )
)
SHUTDOWN = (date(2026, 12, 21), date(2027, 1, 1))
START = date(2026, 9, 1)
WEEKDAY_TASTE = (0.15, 0.25, 0.25, 0.20, 0.15)
"""How often schools ask for Mon..Fri: midweek is popular, so wishes collide."""

KM_PER_DEG_LAT = 111.2
ORIGIN = (51.10, 0.30)


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float


def minutes(a: Point, b: Point, detour: float = 1.3, speed_kmh: float = 40.0) -> int:
    """Great-circle km x detour / speed, rounded to whole minutes."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * 6371.0 * math.asin(math.sqrt(h))
    return round(km * detour / speed_kmh * 60)


def _point(x_km: float, y_km: float) -> Point:
    lat = ORIGIN[0] + y_km / KM_PER_DEG_LAT
    return Point(lat, ORIGIN[1] + x_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat))))


def _places(rng: random.Random, n: int, towns: list[tuple[float, float]], town_share: float):
    """Points in the 60 x 40 km box: a share around towns, the rest anywhere."""
    out = []
    for _ in range(n):
        if rng.random() < town_share:
            cx, cy = rng.choice(towns)
            x, y = rng.gauss(cx, 3.0), rng.gauss(cy, 2.5)
        else:
            x, y = rng.uniform(0, 60), rng.uniform(0, 40)
        out.append(_point(min(60.0, max(0.0, x)), min(40.0, max(0.0, y))))
    return out


def _weekdays(first: date, last: date) -> list[date]:
    return [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if (first + timedelta(days=i)).weekday() < 5
    ]


def synthetic_instance(
    schools: int,
    technicians: int,
    *,
    seed: int = 0,
    weeks: int = 46,
    fortnightly_share: float = 0.4,
    holiday_access_share: float = 0.25,
    preference_share: float = 0.7,
    two_hour_share: float = 0.0,
) -> Instance:
    """A year of `schools` contracts (one each) and `technicians`, reproducible from `seed`.

    A contract buys one visit per week of its period (weekly) or one per two
    (fortnightly): 46 and 23 over the default 46 weeks, as sold.
    """
    rng = random.Random(seed)
    end = START + timedelta(days=7 * weeks - 1)
    open_days = [
        d
        for d in _weekdays(START, end)
        if d not in BANK_HOLIDAYS and not SHUTDOWN[0] <= d <= SHUTDOWN[1]
    ]
    in_term = {d for d in open_days if any(a <= d <= b for a, b in TERMS)}
    holiday_weeks = sorted({_monday(d) for d in open_days if d not in in_term})

    towns = [(rng.uniform(5, 55), rng.uniform(5, 35)) for _ in range(max(3, schools // 40))]
    tech_points = _places(rng, technicians, towns, 0.6)
    school_points = _places(rng, schools, towns, 0.7)
    points = tech_points + school_points
    travel = [[minutes(a, b) for b in points] for a in points]

    techs = []
    seniors = []
    for t in range(technicians):
        leave = set(_leave_days(rng, open_days, in_term, holiday_weeks))
        available = frozenset(d.toordinal() for d in open_days if d not in leave)
        techs.append(Technician(f"T{t:03d}", t, available))
        seniors.append(rng.random() >= 0.2)

    contracts = []
    for s in range(schools):
        location = technicians + s
        closed = set(rng.sample(sorted(in_term), rng.randint(0, 2)))
        term_days = tuple(d.toordinal() for d in sorted(in_term - closed))
        holiday = ()
        if rng.random() < holiday_access_share:
            holiday = tuple(d.toordinal() for d in open_days if d not in in_term)
        senior_only = rng.random() < 0.15
        eligible = tuple(
            t
            for t in range(technicians)
            if (seniors[t] or not senior_only)
            and travel[t][location] <= techs[t].max_commute
            and travel[location][t] <= techs[t].max_commute
        )
        fortnightly = rng.random() < fortnightly_share
        two_hour = rng.random() < two_hour_share
        family = FAMILY_2H if two_hour else FAMILY_3H
        weekday = window = None
        if rng.random() < preference_share:
            weekday = rng.choices(range(5), WEEKDAY_TASTE)[0]
            if rng.random() < 0.5:
                window = family[0] if rng.random() < 0.7 else family[-1]
        contracts.append(
            Contract(
                id=f"C{s:04d}",
                school=f"S{s:04d}",
                location=location,
                windows=family,
                owed=weeks // 2 if fortnightly else weeks,
                term_days=term_days,
                holiday_days=holiday,
                technicians=eligible,
                cadence_days=14 if fortnightly else 7,
                preferred_weekday=weekday,
                preferred_window=window,
            )
        )
    return Instance(
        windows=WINDOWS, technicians=tuple(techs), contracts=tuple(contracts), travel=travel
    )


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _leave_days(
    rng: random.Random, open_days: list[date], in_term: set[date], holiday_weeks: list[date]
) -> list[date]:
    """Two holiday weeks, sometimes a term week, and a few odd days (sickness, training)."""
    out: list[date] = []
    for monday in rng.sample(holiday_weeks, min(2, len(holiday_weeks))):
        out += [monday + timedelta(days=i) for i in range(5)]
    term_days = sorted(in_term)
    if rng.random() < 0.4:
        monday = _monday(rng.choice(term_days))
        out += [monday + timedelta(days=i) for i in range(5)]
    out += rng.sample(term_days, rng.randint(0, 3))
    open_set = set(open_days)
    return [d for d in out if d in open_set]

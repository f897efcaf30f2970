"""Deterministic demo and benchmark books on real school locations.

A planner is judged on the book it is shown: real Kent or Birmingham schools
(DfE URNs, names, postcodes, coordinates; see data/README.md) carry generated
contracts, technicians, calendars, history and tickets shaped by DOMAIN.md.
Each phase draws from its own stream seeded by (seed, phase name), so the same
arguments give the same Scenario in any process, and moving `history_until`
changes only the history and the tickets, never the book itself.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from scheduler.calendar import Calendar, public_holidays
from scheduler.domain import (
    CONSUMING_STATUSES,
    DEFAULT_WINDOWS,
    LONDON,
    Cadence,
    Closure,
    Contract,
    Grade,
    HistoryVisit,
    Leave,
    Nation,
    Package,
    Priority,
    Scenario,
    School,
    Settings,
    SlaPolicy,
    Technician,
    TermBlock,
    Ticket,
    VisitStatus,
    Window,
)
from scheduler.eligibility import qualified
from scheduler.travel import EARTH_RADIUS_KM, great_circle_km, round_up

DATA_CSV = Path(__file__).resolve().parents[1] / "data" / "uk-schools-kent-birmingham.csv"
DEFAULT_HISTORY_UNTIL = date(2026, 11, 20)
SCHOOL_YEAR_START = date(2026, 9, 1)
SCHOOL_YEAR_END = date(2027, 7, 31)
SHUTDOWN = (date(2026, 12, 21), date(2027, 1, 1))
SKILLS = ("SIMS", "AV", "NETWORK", "MAC")


@dataclass(frozen=True, slots=True)
class _Region:
    la_name: str
    calendar: str
    provider: str
    clone_step: tuple[float, float]
    """Degrees (latitude, longitude) between neighbouring copies: inland and apart, not on top."""
    clone_columns: int


REGIONS: dict[str, _Region] = {
    "kent": _Region("Kent", "KENT", "Weald & Downs Schools IT (demo)", (0.55, -1.4), 3),
    "birmingham": _Region("Birmingham", "BIRMINGHAM", "Midlands Schools IT (demo)", (0.4, 0.45), 4),
}

_TERMS: dict[str, tuple[str, ...]] = {
    # Kent 2026/27, with the 2025/26 summer term and an estimated 2027/28 autumn
    # term so that contracts which started in spring 2026, or run into autumn
    # 2027, have term days at both ends of their period.
    "": (
        "2026-04-13/2026-05-22", "2026-06-01/2026-07-22",
        "2026-09-03/2026-10-23", "2026-11-02/2026-12-18",
        "2027-01-05/2027-02-12", "2027-02-22/2027-03-25",
        "2027-04-12/2027-05-28", "2027-06-07/2027-07-21",
        "2027-09-02/2027-10-22", "2027-11-01/2027-12-17",
    ),
    # An academy that goes back a day early after summer and Christmas and breaks up early.
    "-ACADEMY-A": (
        "2026-04-13/2026-05-22", "2026-06-01/2026-07-21",
        "2026-09-02/2026-10-23", "2026-11-02/2026-12-18",
        "2027-01-04/2027-02-12", "2027-02-22/2027-03-25",
        "2027-04-12/2027-05-28", "2027-06-07/2027-07-20",
        "2027-09-01/2027-10-22", "2027-11-01/2027-12-17",
    ),
    # An academy whose every term starts a day later and whose summer term ends a day later.
    "-ACADEMY-B": (
        "2026-04-14/2026-05-22", "2026-06-02/2026-07-22",
        "2026-09-04/2026-10-23", "2026-11-03/2026-12-18",
        "2027-01-06/2027-02-12", "2027-02-23/2027-03-25",
        "2027-04-13/2027-05-28", "2027-06-08/2027-07-22",
        "2027-09-03/2027-10-22", "2027-11-02/2027-12-17",
    ),
}  # fmt: skip

_PACKAGE_SHARES: tuple[tuple[Package, float], ...] = (
    (Package.SCHEDULED, 0.71),
    (Package.SCHEDULED_ON_DEMAND, 0.15),
    (Package.ON_DEMAND, 0.06),
    (Package.CLOUD, 0.055),
    (Package.FULL_MANAGED, 0.025),
)
_OTHER_STARTS = tuple(
    date.fromisoformat(day)
    for day in (
        "2026-04-14", "2026-06-09", "2026-07-28", "2026-08-25",
        "2026-09-29", "2026-10-27", "2026-11-24",
    )
)  # fmt: skip
"""Contracts signed mid-year, as in the example scenario: a quarter of the book."""

_WEEKDAY_WEIGHTS = (0.22, 0.24, 0.22, 0.20, 0.12)
"""Schools ask for Friday least: it is the day that slips."""

_HOLIDAY_WEEKS = tuple(
    date.fromisoformat(day)
    for day in ("2026-10-26", "2027-02-15", "2027-03-29", "2027-04-05", "2027-05-31")
)
_SUMMER_WEEKS = tuple(date(2027, 7, 26) + timedelta(weeks=k) for k in range(5))

_FIRST_NAMES = (
    "Aisha", "Ben", "Chloe", "Daniel", "Emma", "Farid", "Grace", "Harry", "Imran", "Jack",
    "Kate", "Liam", "Megan", "Nathan", "Olivia", "Priya", "Ryan", "Sophie", "Tom", "Usman",
    "Zoe", "Adam", "Beth", "Callum", "Dev", "Ellie", "Finn", "Hannah", "Jas", "Kieran",
    "Lucy", "Mo", "Niamh", "Oscar", "Rosie", "Sam", "Tariq", "Wiktor", "Yasmin", "Josh",
)  # fmt: skip
_SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Khan", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Turner", "Hill",
    "Scott", "Cooper", "Morris", "Ward", "Moore", "King", "Watson", "Baker", "Ahmed",
    "Kowalski", "Okafor", "Singh", "Murphy",
)  # fmt: skip

_DESK_OPEN, _DESK_CLOSE = 8 * 60, 16 * 60 + 30
_RESPONSE_HOURS = {Priority.URGENT: 1, Priority.HIGH: 2, Priority.MEDIUM: 4, Priority.LOW: 8}
_RESOLUTION_HOURS = {Priority.URGENT: 8, Priority.HIGH: 16, Priority.MEDIUM: 40, Priority.LOW: 80}
_STANDARD_SLA = SlaPolicy(
    "standard",
    {
        "hours": "Mon-Fri 08:00-16:30",
        "response_hours": {p.value: h for p, h in _RESPONSE_HOURS.items()},
        "resolution_hours": {p.value: h for p, h in _RESOLUTION_HOURS.items()},
        "target": 0.95,
    },
)


def generate(
    *,
    schools: int = 200,
    seed: int = 7,
    region: str = "kent",
    history_until: date | None = DEFAULT_HISTORY_UNTIL,
) -> Scenario:
    """A whole regional (or, above the region's real count, national) book.

    `history_until` is the last day of recorded history (visits.csv) and
    tickets; None gives a fresh book with neither. Every school with a
    scheduled contract has at least two qualified pool technicians within
    the commute limit, so the default demo can be planned in full.
    """
    if schools < 1:
        raise ValueError(f"schools must be at least 1, got {schools}")
    spec = REGIONS.get(region.lower())
    if spec is None:
        raise ValueError(f"unknown region {region!r}; choose from {', '.join(sorted(REGIONS))}")
    settings = Settings(shutdown=(SHUTDOWN,), provider_name=spec.provider)

    sites = _pick_sites(spec, schools, _rng(seed, "sites"))
    deals = _deals(sites, _rng(seed, "deals"))
    school_list = [
        _school(site, deal, spec, _rng(seed, "school", site.school_id))
        for site, deal in zip(sites, deals, strict=True)
    ]
    crew = _Crew(settings)
    crew.recruit(sites, school_list, deals, _rng(seed, "technicians"))
    technicians, dedicated = crew.finish(_rng(seed, "names"))

    contracts = [
        _contract(i, len(sites), school, deal, dedicated.get(school.school_id))
        for i, (school, deal) in enumerate(zip(school_list, deals, strict=True))
    ]
    term_dates = _term_blocks(spec.calendar)
    scenario = Scenario(
        schools=school_list,
        technicians=technicians,
        contracts=contracts,
        term_dates=term_dates,
        closures=_closures(
            school_list,
            term_dates,
            {site.school_id for site in sites if site.secondary},
            _rng(seed, "closures"),
        ),
        leave=_leave(technicians, _rng(seed, "leave")),
        sla_policies=[_STANDARD_SLA],
        settings=settings,
    )
    if history_until is not None:
        reach = _reach(scenario, set(dedicated.values()))
        history = _History(scenario, reach, history_until)
        scenario.history, callouts = history.run(_rng(seed, "history"))
        scenario.tickets = _tickets(scenario, callouts, history_until, _rng(seed, "tickets"))
    return scenario


def _rng(seed: int, *phase: str) -> random.Random:
    """A stream per phase: adding a draw to one phase leaves every other phase unchanged."""
    return random.Random(":".join((str(seed), *phase)))


# Schools and contracts.


@dataclass(frozen=True, slots=True)
class _Site:
    school_id: str
    name: str
    postcode: str
    lat: float
    lon: float
    area: str
    """Where technicians are recruited: the real town, numbered in clone regions."""
    academy: bool
    secondary: bool


@cache
def _rows() -> tuple[dict[str, str], ...]:
    with DATA_CSV.open(newline="", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def _pick_sites(region: _Region, count: int, rng: random.Random) -> list[_Site]:
    """A sample of the real schools, or all of them plus shifted copies for national sizes."""
    real = sorted(
        (r for r in _rows() if r["LA_name"] == region.la_name), key=lambda r: int(r["URN"])
    )
    copies, rest = divmod(count, len(real))
    sites: list[_Site] = []
    for copy in range(copies + (1 if rest else 0)):
        rows = (
            real if copy < copies else sorted(rng.sample(real, rest), key=lambda r: int(r["URN"]))
        )
        row_no, column = divmod(copy, region.clone_columns)
        dlat, dlon = row_no * region.clone_step[0], column * region.clone_step[1]
        for r in rows:
            clone = f" (clone {copy + 1})" if copy else ""
            sites.append(
                _Site(
                    school_id=f"URN{r['URN']}" + (f"-C{copy + 1}" if copy else ""),
                    name=r["EstablishmentName"] + clone,
                    postcode=r["Postcode"] if not copy else "",
                    lat=round(float(r["Latitude"]) + dlat, 6),
                    lon=round(float(r["Longitude"]) + dlon, 6),
                    area=r["Town"] + (f" {copy + 1}" if copy else ""),
                    academy=r["SchoolType"] == "Academy",
                    secondary=r["Phase"] in {"Secondary", "All-through", "16 plus"},
                )
            )
    return sites


@dataclass(frozen=True, slots=True)
class _Deal:
    """The terms of a school's contract, decided before its technicians and ids exist."""

    package: Package
    visits: int
    cadence: Cadence
    family: str
    start: date
    weeks: int

    @property
    def weekly_load(self) -> float:
        return self.visits / self.weeks


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Largest remainder: exact totals make the package mix and crew sizes stable per size."""
    whole = sum(weights)
    quotas = [total * w / whole for w in weights]
    counts = [math.floor(q) for q in quotas]
    by_remainder = sorted(range(len(quotas)), key=lambda i: (counts[i] - quotas[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _deals(sites: Sequence[_Site], rng: random.Random) -> list[_Deal]:
    """The package mix of DOMAIN.md; full-managed goes to big (secondary) schools first."""
    counts = dict(
        zip(
            (p for p, _ in _PACKAGE_SHARES),
            _apportion(len(sites), [s for _, s in _PACKAGE_SHARES]),
            strict=True,
        )
    )
    order = rng.sample(range(len(sites)), len(sites))
    managed = sorted(order, key=lambda i: not sites[i].secondary)[: counts[Package.FULL_MANAGED]]
    bag = [p for p, n in counts.items() if p is not Package.FULL_MANAGED for _ in range(n)]
    rng.shuffle(bag)
    package = dict.fromkeys(managed, Package.FULL_MANAGED)
    rest = [i for i in order if i not in package]
    package.update(zip(rest, bag, strict=True))

    deals = []
    for i in range(len(sites)):
        start = SCHOOL_YEAR_START if rng.random() < 0.75 else rng.choice(_OTHER_STARTS)
        match package[i]:
            case Package.SCHEDULED if rng.random() < 0.6:
                deals.append(_Deal(Package.SCHEDULED, 46, Cadence.WEEKLY, "3h", start, 46))
            case Package.SCHEDULED:
                deals.append(_Deal(Package.SCHEDULED, 23, Cadence.FORTNIGHTLY, "3h", start, 46))
            case Package.SCHEDULED_ON_DEMAND if rng.random() < 0.6:
                deals.append(_Deal(package[i], 19, Cadence.FORTNIGHTLY, "2h", start, 52))
            case Package.SCHEDULED_ON_DEMAND:
                deals.append(_Deal(package[i], 38, Cadence.WEEKLY, "2h", start, 52))
            case Package.ON_DEMAND:
                deals.append(_Deal(package[i], 0, Cadence.NONE, "2h", start, 52))
            case _:
                deals.append(_Deal(package[i], 0, Cadence.NONE, "3h", start, 52))
    return deals


def _school(site: _Site, deal: _Deal, region: _Region, rng: random.Random) -> School:
    """Secondaries more often need seniors and holiday access; only visited schools state a slot."""
    calendar = region.calendar
    if site.academy:
        calendar += rng.choices(("", "-ACADEMY-A", "-ACADEMY-B"), (0.4, 0.3, 0.3))[0]
    skills: frozenset[str] = frozenset()
    if rng.random() < 0.15:
        skills = frozenset(
            rng.choices(SKILLS, (0.4, 0.3, 0.2, 0.1), k=2 if rng.random() < 0.15 else 1)
        )
    weekday = window = None
    if deal.visits and rng.random() < 0.7:
        weekday = rng.choices(range(5), _WEEKDAY_WEIGHTS)[0]
        if rng.random() < 0.4:
            window = rng.choice([w.name for w in DEFAULT_WINDOWS if w.family == deal.family])
    return School(
        school_id=site.school_id,
        name=site.name,
        lat=site.lat,
        lon=site.lon,
        nation=Nation.ENG,
        term_calendar=calendar,
        postcode=site.postcode,
        holiday_access=rng.random() < (0.3 if site.secondary else 0.17),
        requires_senior=rng.random() < (0.2 if site.secondary else 0.075),
        required_skills=skills,
        preferred_weekday=weekday,
        preferred_window=window,
    )


def _contract(
    index: int, count: int, school: School, deal: _Deal, dedicated: str | None
) -> Contract:
    return Contract(
        contract_id=f"C{index + 1:0{max(4, len(str(count)))}d}",
        school_id=school.school_id,
        package=deal.package,
        start_date=deal.start,
        period_weeks=deal.weeks,
        visits=deal.visits,
        cadence=deal.cadence,
        window_family=deal.family,
        dedicated_technician_id=dedicated,
    )


def _term_blocks(prefix: str) -> list[TermBlock]:
    return [
        TermBlock(prefix + variant, date.fromisoformat(first), date.fromisoformat(last))
        for variant, blocks in _TERMS.items()
        for first, last in (block.split("/") for block in blocks)
    ]


# Technicians.


@dataclass(slots=True)
class _Recruit:
    lat: float
    lon: float
    grade: Grade
    skills: set[str] = field(default_factory=set)
    work_days: frozenset[int] = frozenset(range(5))

    def draft(self) -> Technician:
        """As a technician without id or name: enough for the shared eligibility rules."""
        return self.as_technician("", "")

    def as_technician(self, technician_id: str, name: str) -> Technician:
        return Technician(
            technician_id=technician_id,
            name=name,
            lat=self.lat,
            lon=self.lon,
            grade=self.grade,
            skills=frozenset(self.skills),
            work_days=self.work_days,
        )


def _near(
    lat: float, lon: float, rng: random.Random, low_km: float, high_km: float
) -> tuple[float, float]:
    """A home a few km from a place: technicians live near, not at, the schools they serve."""
    km, bearing = rng.uniform(low_km, high_km), rng.uniform(0, 2 * math.pi)
    dlat = km * math.cos(bearing) / 111.2
    dlon = km * math.sin(bearing) / (111.2 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _minutes(
    lat1: npt.ArrayLike,
    lon1: npt.ArrayLike,
    lat2: npt.ArrayLike,
    lon2: npt.ArrayLike,
    settings: Settings,
) -> npt.NDArray[np.int64]:
    """The planner's own rounded coordinate estimate, so "within commute" means the same here."""
    km = great_circle_km(*(np.asarray(a, dtype=np.float64) for a in (lat1, lon1, lat2, lon2)))
    return round_up(km * (settings.detour_factor / settings.speed_kmh * 60))


class _Crew:
    """The pool sized to the book and placed where the visits are, then topped up where thin."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool: list[_Recruit] = []
        self.dedicated: list[tuple[str, _Recruit]] = []

    def recruit(
        self,
        sites: Sequence[_Site],
        schools: Sequence[School],
        deals: Sequence[_Deal],
        rng: random.Random,
    ) -> None:
        visited = [i for i, deal in enumerate(deals) if deal.visits]
        load: dict[str, float] = {}
        anchors: dict[str, list[_Site]] = {}
        for i in visited or range(len(sites)):
            area = sites[i].area
            load[area] = load.get(area, 0.0) + (deals[i].weekly_load or 1.0)
            anchors.setdefault(area, []).append(sites[i])
        size = max(2, round(len(sites) / 7.5))
        grades = [Grade.APPRENTICE, Grade.SECOND_LINE, Grade.FIRST_LINE]
        grade_bag = [
            g
            for g, n in zip(grades, _apportion(size, (0.12, 0.25, 0.63)), strict=True)
            for _ in range(n)
        ]
        rng.shuffle(grade_bag)
        for area, n in zip(load, _apportion(size, list(load.values())), strict=True):
            for _ in range(n):
                anchor = rng.choice(anchors[area])
                lat, lon = _near(anchor.lat, anchor.lon, rng, 0.5, 4.0)
                grade = grade_bag[len(self.pool)]
                self.pool.append(_Recruit(lat, lon, grade, _skills(grade, rng), _work_days(rng)))
        self._cover([s for i, s in enumerate(schools) if deals[i].visits], rng)
        for school, deal in zip(schools, deals, strict=True):
            if deal.package is Package.FULL_MANAGED:
                lat, lon = _near(school.lat, school.lon, rng, 1.0, 10.0)
                grade = Grade.SECOND_LINE if rng.random() < 0.6 else Grade.FIRST_LINE
                skills = set(school.required_skills) | {rng.choice(SKILLS)}
                self.dedicated.append((school.school_id, _Recruit(lat, lon, grade, skills)))

    def _cover(self, schools: Sequence[School], rng: random.Random) -> None:
        """Two qualified technicians in reach of every visited school: widen skills, else hire."""
        limit = self.settings.max_commute_minutes
        lat = np.array([s.lat for s in schools])
        lon = np.array([s.lon for s in schools])
        minutes = _minutes(
            lat[:, None],
            lon[:, None],
            [[r.lat for r in self.pool]],
            [[r.lon for r in self.pool]],
            self.settings,
        )
        for i, school in enumerate(schools):
            near = sorted(
                np.flatnonzero(minutes[i] <= limit).tolist(), key=lambda j: (minutes[i, j], j)
            )
            unqualified = [j for j in near if not qualified(self.pool[j].draft(), school)]
            short = 2 - (len(near) - len(unqualified))
            for j in unqualified[: max(short, 0)]:
                if school.requires_senior and self.pool[j].grade is Grade.APPRENTICE:
                    self.pool[j].grade = Grade.FIRST_LINE
                self.pool[j].skills |= school.required_skills
                short -= 1
            for _ in range(short):
                home = _near(school.lat, school.lon, rng, 1.0, 5.0)
                self.pool.append(_Recruit(*home, Grade.FIRST_LINE, set(school.required_skills)))
                column = _minutes(lat, lon, home[0], home[1], self.settings)
                minutes = np.column_stack((minutes, column))

    def finish(self, rng: random.Random) -> tuple[list[Technician], dict[str, str]]:
        """Ids and names, pool first; returns the technicians and school id -> dedicated id."""
        recruits = [*self.pool, *(r for _, r in self.dedicated)]
        width = max(3, len(str(len(recruits))))
        names = [f"{first} {last}" for first in _FIRST_NAMES for last in _SURNAMES]
        rng.shuffle(names)
        technicians = []
        for i, recruit in enumerate(recruits):
            name = names[i % len(names)] + (f" {i // len(names) + 1}" if i >= len(names) else "")
            technicians.append(recruit.as_technician(f"T{i + 1:0{width}d}", name))
        dedicated = {
            school_id: technicians[len(self.pool) + k].technician_id
            for k, (school_id, _) in enumerate(self.dedicated)
        }
        return technicians, dedicated


def _skills(grade: Grade, rng: random.Random) -> set[str]:
    """Second line own the network; first line mostly know SIMS and classroom AV."""
    chance = {
        Grade.APPRENTICE: {"AV": 0.2, "SIMS": 0.15},
        Grade.FIRST_LINE: {"SIMS": 0.6, "AV": 0.45, "MAC": 0.15, "NETWORK": 0.15},
        Grade.SECOND_LINE: {"NETWORK": 1.0, "SIMS": 0.5, "MAC": 0.3, "AV": 0.3},
    }[grade]
    return {skill for skill, p in chance.items() if rng.random() < p}


def _work_days(rng: random.Random) -> frozenset[int]:
    """About one in seven works a four-day week, most often without Friday."""
    if rng.random() >= 0.15:
        return frozenset(range(5))
    return frozenset(range(5)) - {rng.choices((4, 0, 2), (0.5, 0.3, 0.2))[0]}


# Calendars: closures and leave.


@cache
def _bank_holidays() -> frozenset[date]:
    return frozenset(d for year in (2026, 2027, 2028) for d in public_holidays(Nation.ENG, year))


def _teaching_days(blocks: Sequence[TermBlock]) -> dict[str, tuple[list[date], list[date]]]:
    """Per calendar, its 2026/27 teaching days and first days of term, bank holidays removed."""
    found: dict[str, tuple[list[date], list[date]]] = {}
    for block in blocks:
        if not SCHOOL_YEAR_START <= block.first_day <= SCHOOL_YEAR_END:
            continue
        days, firsts = found.setdefault(block.term_calendar, ([], []))
        span = (
            block.first_day + timedelta(d)
            for d in range((block.last_day - block.first_day).days + 1)
        )
        open_days = [d for d in span if d.weekday() < 5 and d not in _bank_holidays()]
        days.extend(open_days)
        firsts.append(open_days[0])
    return found


def _closures(
    schools: Sequence[School],
    blocks: Sequence[TermBlock],
    secondary: set[str],
    rng: random.Random,
) -> list[Closure]:
    """About five INSET days a school, often a term's first day; trips; secondary exams."""
    teaching = _teaching_days(blocks)
    closures: list[Closure] = []
    for school in schools:
        term, firsts = teaching[school.term_calendar]
        inset = set(rng.sample(firsts, rng.choice((1, 2, 2, 3))))
        target = len(inset) + rng.choice((2, 3, 3, 4))
        while len(inset) < target:
            inset.add(rng.choice(term))
        closures.extend(
            Closure(school.school_id, a, b, "INSET day") for a, b in _runs(sorted(inset))
        )
        if rng.random() < 0.25:
            day = rng.choice(term)
            if day not in inset:
                closures.append(Closure(school.school_id, day, day, "trip"))
        if school.school_id in secondary and rng.random() < 0.5:
            first = rng.choice([d for d in term if date(2027, 5, 10) <= d <= date(2027, 6, 18)])
            last = first + timedelta(days=rng.randint(0, 2))
            if not any(first <= d <= last for d in inset) and last.weekday() < 5:
                closures.append(Closure(school.school_id, first, last, "exams"))
        if school.holiday_access and rng.random() < 0.2:
            first = rng.choice(_SUMMER_WEEKS)
            closures.append(
                Closure(school.school_id, first, first + timedelta(days=11), "building works")
            )
    return closures


def _runs(days: Sequence[date]) -> Iterable[tuple[date, date]]:
    """Consecutive days as one (first, last) row, as a school would write them."""
    start = prev = days[0]
    for day in days[1:]:
        if day != prev + timedelta(days=1):
            yield start, prev
            start = day
        prev = day
    yield start, prev


def _leave(technicians: Sequence[Technician], rng: random.Random) -> list[Leave]:
    """Two summer weeks and a half-term week each, plus now and then a few days in term."""
    leave: list[Leave] = []
    for tech in technicians:
        summer = rng.choice(_SUMMER_WEEKS[:-1])
        leave.append(Leave(tech.technician_id, summer, summer + timedelta(days=11), "annual leave"))
        week = rng.choice(_HOLIDAY_WEEKS)
        leave.append(
            Leave(
                tech.technician_id, week, week + timedelta(days=rng.randint(2, 4)), "annual leave"
            )
        )
        if rng.random() < 0.4:
            first = SCHOOL_YEAR_START + timedelta(days=rng.randrange(0, 315))
            if first.weekday() > 4:
                first += timedelta(days=7 - first.weekday())
            last = first + timedelta(days=rng.randint(0, 4 - first.weekday()))
            reason = rng.choice(("annual leave", "annual leave", "training"))
            leave.append(Leave(tech.technician_id, first, last, reason))
    return leave


# History.


def _reach(scenario: Scenario, dedicated: set[str]) -> dict[str, list[Technician]]:
    """Per visited school, the qualified pool technicians within commute, nearest first."""
    pool = [t for t in scenario.technicians if t.technician_id not in dedicated]
    visited = {
        c.school_id
        for c in scenario.contracts
        if c.package in {Package.SCHEDULED, Package.SCHEDULED_ON_DEMAND, Package.ON_DEMAND}
    }
    schools = [s for s in scenario.schools if s.school_id in visited]
    if not schools or not pool:
        return {}
    minutes = _minutes(
        [[s.lat] for s in schools],
        [[s.lon] for s in schools],
        [[t.lat for t in pool]],
        [[t.lon for t in pool]],
        scenario.settings,
    )
    limits = np.array(
        [t.max_commute_minutes or scenario.settings.max_commute_minutes for t in pool]
    )
    reach = {}
    for i, school in enumerate(schools):
        near = sorted(
            np.flatnonzero(minutes[i] <= limits).tolist(), key=lambda j: (minutes[i, j], j)
        )
        reach[school.school_id] = [pool[j] for j in near if qualified(pool[j], school)]
    return reach


@dataclass(frozen=True, slots=True)
class _Callout:
    """An emergency visit, which the service desk also logged as an emergency ticket."""

    school_id: str
    day: date
    window: Window


class _History:
    """Visits from each contract's start to `until`: a regular slot, kept on pace by catch-ups."""

    def __init__(self, scenario: Scenario, reach: dict[str, list[Technician]], until: date) -> None:
        self.scenario = scenario
        self.reach = reach
        self.until = until
        self.calendar = Calendar(scenario)
        self.diary: dict[tuple[str, date], list[tuple[int, int, School]]] = {}
        self.schools = {s.school_id: s for s in scenario.schools}
        self.visits: list[tuple[date, str, str, str, VisitStatus]] = []
        self.callouts: list[_Callout] = []

    def run(self, rng: random.Random) -> tuple[list[HistoryVisit], list[_Callout]]:
        for contract in self.scenario.contracts:
            school = self.schools[contract.school_id]
            if contract.start_date > self.until or not self.reach.get(school.school_id):
                continue
            weeks = self._weeks(contract)
            if contract.is_scheduled:
                self._scheduled(contract, school, weeks, rng)
            elif contract.package is Package.ON_DEMAND:
                self._ad_hoc(contract, school, weeks, rng)
        width = max(6, len(str(len(self.visits))))
        history = [
            HistoryVisit(f"H{i + 1:0{width}d}", contract_id, day, window, tech, status)
            for i, (day, window, contract_id, tech, status) in enumerate(sorted(self.visits))
        ]
        return history, self.callouts

    def _weeks(self, contract: Contract) -> list[list[date]]:
        weeks: dict[int, list[date]] = {}
        for day in self.calendar.visitable_days(contract.contract_id):
            weeks.setdefault((day.toordinal() - 1) // 7, []).append(day)
        return list(weeks.values())

    def _scheduled(
        self, contract: Contract, school: School, weeks: list[list[date]], rng: random.Random
    ) -> None:
        """Due visits by cadence, one more when behind the pace that delivers all bought in time."""
        windows = [w for w in self.scenario.windows if w.family == contract.window_family]
        weekday = school.preferred_weekday
        if weekday is None:
            weekday = rng.choices(range(5), _WEEKDAY_WEIGHTS)[0]
        regular = [w for w in windows if w.name == school.preferred_window] or [rng.choice(windows)]
        window_order = regular + [w for w in windows if w is not regular[0]]
        near = self.reach[school.school_id]
        usual = rng.choice([t for t in near[:3] if weekday in t.work_days] or near[:1])
        techs = [usual, *(t for t in near[:8] if t is not usual)]
        consumed = 0
        for index, week in enumerate(weeks):
            order = sorted(week, key=lambda d: (abs(d.weekday() - weekday), d))
            if order[0] > self.until:
                break
            order = [d for d in order if d <= self.until]
            expected = contract.visits * (index + 1) / len(weeks)
            due = 1 if contract.cadence is Cadence.WEEKLY or index % 2 == 0 else 0
            if consumed + due < expected - 1:
                due += 1
            elif due and consumed >= expected + 1:
                due = 0
            for _ in range(min(due, contract.visits - consumed)):
                status = _status(rng)
                if status is VisitStatus.EMERGENCY:
                    rng.shuffle(order)
                    placed = self._book(
                        contract, school, order, rng.sample(windows, len(windows)), near[:8], status
                    )
                else:
                    placed = self._book(contract, school, order, window_order, techs, status)
                if placed is None:
                    continue
                order.remove(placed)
                consumed += status in CONSUMING_STATUSES

    def _ad_hoc(
        self, contract: Contract, school: School, weeks: list[list[date]], rng: random.Random
    ) -> None:
        """On-demand sites see a technician now and then, a quarter of the time as a callout."""
        windows = [w for w in self.scenario.windows if w.family == contract.window_family]
        for week in weeks:
            if week[0] > self.until:
                break
            if rng.random() < 0.08:
                status = VisitStatus.EMERGENCY if rng.random() < 0.25 else VisitStatus.DELIVERED
                days = [d for d in week if d <= self.until]
                self._book(
                    contract,
                    school,
                    [rng.choice(days)],
                    rng.sample(windows, len(windows)),
                    self.reach[school.school_id][:8],
                    status,
                )

    def _book(
        self,
        contract: Contract,
        school: School,
        days: Sequence[date],
        windows: Sequence[Window],
        techs: Sequence[Technician],
        status: VisitStatus,
    ) -> date | None:
        """The first free (day, window, technician), in the caller's order of preference."""
        for day in days:
            for window in windows:
                for tech in techs:
                    if self._free(tech, school, day, window):
                        start, end = window.minutes
                        self.diary.setdefault((tech.technician_id, day), []).append(
                            (start, end, school)
                        )
                        self.visits.append(
                            (day, window.name, contract.contract_id, tech.technician_id, status)
                        )
                        if status is VisitStatus.EMERGENCY:
                            self.callouts.append(_Callout(school.school_id, day, window))
                        return day
        return None

    def _free(self, tech: Technician, school: School, day: date, window: Window) -> bool:
        """Works that day, not on leave, room in the day and time to drive between schools."""
        if not self.calendar.technician_available(tech.technician_id, day):
            return False
        booked = self.diary.get((tech.technician_id, day), [])
        if len(booked) >= tech.max_visits_per_day:
            return False
        start, end = window.minutes
        for other_start, other_end, other in booked:
            gap = _drive(other, school, self.scenario.settings)
            if not (other_end + gap <= start or end + gap <= other_start):
                return False
        return True


def _drive(a: School, b: School, settings: Settings) -> int:
    """Scalar form of the coordinate estimate, rounded up: history should never look rushed."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return math.ceil(km * settings.detour_factor / settings.speed_kmh * 60)


def _status(rng: random.Random) -> VisitStatus:
    """Most visits happen; a few are callouts, remote, or cancelled by either side."""
    draw = rng.random()
    for status, upto in (
        (VisitStatus.EMERGENCY, 0.02),
        (VisitStatus.REMOTE_IN_LIEU, 0.045),
        (VisitStatus.CANCELLED_BY_SCHOOL, 0.075),
        (VisitStatus.CANCELLED_BY_PROVIDER, 0.10),
    ):
        if draw < upto:
            return status
    return VisitStatus.DELIVERED


# Tickets.


def _desk_closed(day: date) -> bool:
    return day.weekday() > 4 or day in _bank_holidays() or SHUTDOWN[0] <= day <= SHUTDOWN[1]


def _after_working(start: datetime, minutes: int) -> datetime:
    """`start` plus that many service-desk minutes (08:00-16:30 on working days)."""
    day, at = start.date(), start.hour * 60 + start.minute
    while True:
        if not _desk_closed(day):
            at = max(at, _DESK_OPEN)
            if at + minutes <= _DESK_CLOSE:
                return datetime.combine(day, time(), start.tzinfo) + timedelta(minutes=at + minutes)
            minutes -= max(0, _DESK_CLOSE - at)
        day, at = day + timedelta(days=1), 0


def _tickets(
    scenario: Scenario, callouts: Sequence[_Callout], until: date, rng: random.Random
) -> list[Ticket]:
    """A ticket every eight weeks or so per school, plus one per emergency callout.

    Times are London wall-clock, as the format reads them. Times after the end
    of `until` have not happened yet: those tickets are still open.
    """
    cutoff = datetime.combine(until + timedelta(days=1), time(), LONDON)

    def seen(moment: datetime) -> datetime | None:
        return moment if moment < cutoff else None

    starts = {c.school_id: c.start_date for c in scenario.contracts}
    tickets: list[Ticket] = []
    for school in scenario.schools:
        day = max(SCHOOL_YEAR_START, starts[school.school_id])
        while day <= until:
            if not _desk_closed(day) and rng.random() < 0.025:
                priority = _priority(rng)
                opened, responded, resolved, pauses = _timeline(day, priority, rng)
                tickets.append(
                    Ticket(
                        ticket_id="",
                        school_id=school.school_id,
                        priority=priority.value,
                        opened_at=opened,
                        responded_at=seen(responded),
                        resolved_at=seen(resolved),
                        pauses=tuple(p for p in pauses if p[1] < cutoff),
                    )
                )
            day += timedelta(days=1)
    for callout in callouts:
        midnight = datetime.combine(callout.day, time(), LONDON)
        start, end = callout.window.minutes
        opened = midnight + timedelta(minutes=max(7 * 60 + 30, start - rng.randint(20, 90)))
        tickets.append(
            Ticket(
                ticket_id="",
                school_id=callout.school_id,
                priority=rng.choice((Priority.URGENT, Priority.URGENT, Priority.HIGH)).value,
                opened_at=opened,
                responded_at=seen(opened + timedelta(minutes=rng.randint(5, 20))),
                resolved_at=seen(midnight + timedelta(minutes=rng.randint(start + 45, end))),
                emergency=True,
            )
        )
    tickets.sort(key=lambda t: (t.opened_at, t.school_id, t.emergency))
    width = max(5, len(str(len(tickets))))
    return [replace(t, ticket_id=f"K{i + 1:0{width}d}") for i, t in enumerate(tickets)]


def _priority(rng: random.Random) -> Priority:
    return rng.choices(list(_RESPONSE_HOURS), (0.05, 0.15, 0.45, 0.35))[0]


def _timeline(
    day: date, priority: Priority, rng: random.Random
) -> tuple[datetime, datetime, datetime, tuple[tuple[datetime, datetime], ...]]:
    """Opened (now and then after hours), responded, resolved, and a customer wait for some."""
    if rng.random() < 0.9:
        minute = rng.randrange(_DESK_OPEN, _DESK_CLOSE)
    else:
        minute = rng.randrange(_DESK_CLOSE, 18 * 60 + 30)
    opened = datetime.combine(day, time(), LONDON) + timedelta(minutes=minute)
    responded = _after_working(opened, _delay(_RESPONSE_HOURS[priority], rng))
    resolved = _after_working(opened, _delay(_RESOLUTION_HOURS[priority], rng))
    resolved = max(resolved, responded + timedelta(minutes=15))
    if priority is Priority.URGENT or rng.random() >= 0.12:
        return opened, responded, resolved, ()
    paused = _after_working(responded, rng.randint(10, 120))
    length = rng.randint(60, 960)
    if paused >= resolved:
        return opened, responded, resolved, ()
    pause = (paused, _after_working(paused, length))
    return opened, responded, _after_working(resolved, length), (pause,)


def _delay(target_hours: int, rng: random.Random) -> int:
    """Working minutes taken: inside the target 95% of the time, as the SLA promises."""
    share = rng.uniform(0.05, 0.8) if rng.random() < 0.95 else rng.uniform(1.05, 1.8)
    return max(5, round(target_hours * 60 * share))

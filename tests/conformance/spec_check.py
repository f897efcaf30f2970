"""Independent checker of a roster against the spec's hard rules and quality metrics.

The spec: ../shared/spec/scenario-format.md, "What a roster must satisfy" and
"Quality metrics". It reads the scenario folder, roster.csv and report.json
as files and imports nothing from `scheduler` or `solver`: a rule the product
misreads must not be misread here the same way. Travel is the spec's exact
estimate, not rounded; the product rounds legs up, so a plan it accepts also
passes the stricter comparison here.
"""

from __future__ import annotations

import csv
import json
import math
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import holidays

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
DEFAULT_WINDOWS = [
    ("3h", "AM", "08:30", "11:30"),
    ("3h", "PM", "12:30", "15:30"),
    ("2h", "AM", "08:30", "10:30"),
    ("2h", "LUNCH", "11:00", "13:00"),
    ("2h", "PM", "14:30", "16:00"),
]
KINDS = {"scheduled", "make_up", "emergency", "dedicated"}
CONSUMING = {"delivered", "emergency", "remote_in_lieu", "cancelled_by_school"}
BOUGHT = {"scheduled", "scheduled_on_demand"}
CADENCES = {"weekly", "fortnightly", "monthly"}
ROSTER_COLUMNS = [
    "date",
    "window",
    "start",
    "end",
    "school_id",
    "contract_id",
    "technician_id",
    "kind",
]
REPORT_KEYS = ["visits_planned", "travel_minutes", "objective", "best_bound", "solve_seconds"]
EARTH_RADIUS_KM = 6371.0
FLOAT_NOISE = 1e-6
"""Minutes of slack for float noise only (not rounding): 45.0000000001 meets 45."""

Span = tuple[date, date]
Metrics = dict[str, float | int | None]


def _time(hhmm: str) -> int:
    hours, minutes = hhmm.strip().split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _bool(cell: str) -> bool:
    """Empty means the default, which is false for every boolean of the format."""
    return cell.strip().lower() == "true"


def _list(cell: str) -> set[str]:
    return {item.strip() for item in cell.split(";") if item.strip()}


def _within(day: date, spans: list[Span]) -> bool:
    return any(first <= day <= last for first, last in spans)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows keyed by stripped column name; a missing file is no rows (every optional one)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            {key.strip(): (value or "").strip() for key, value in row.items() if key is not None}
            for row in csv.DictReader(handle)
        ]


def _spans(rows: list[dict[str, str]], key: str) -> dict[str, list[Span]]:
    spans: dict[str, list[Span]] = defaultdict(list)
    for row in rows:
        first, last = date.fromisoformat(row["first_day"]), date.fromisoformat(row["last_day"])
        spans[row[key]].append((first, last))
    return spans


@dataclass
class School:
    id: str
    lat: float
    lon: float
    nation: str
    calendar: str
    holiday_access: bool
    requires_senior: bool
    skills: set[str]
    preferred_weekday: str
    preferred_window: str


@dataclass
class Technician:
    id: str
    lat: float
    lon: float
    grade: str
    skills: set[str]
    work_days: set[str]
    max_visits: int
    max_commute: float


@dataclass
class Contract:
    """`end` is the period's last day, inclusive: start + 7 x period_weeks - 1."""

    id: str
    school: str
    package: str
    visits: int
    cadence: str
    family: str
    start: date
    end: date


@dataclass
class Scenario:
    """What the hard rules need from a scenario folder, defaults applied as the spec says."""

    shutdown: list[Span]
    onsite_start: int
    onsite_end: int
    speed_kmh: float
    detour_factor: float
    windows: dict[tuple[str, str], tuple[int, int]]
    schools: dict[str, School]
    technicians: dict[str, Technician]
    terms: dict[str, list[Span]]
    closures: dict[str, list[Span]]
    leave: dict[str, list[Span]]
    contracts: dict[str, Contract]
    history: list[dict[str, str]]
    travel_table: dict[tuple[str, str], float]
    _holidays: dict[tuple[str, int], Any] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> Scenario:
        settings_path = folder / "settings.toml"
        settings = tomllib.loads(settings_path.read_text()) if settings_path.exists() else {}
        company, travel = settings.get("company", {}), settings.get("travel", {})
        max_commute = float(travel.get("max_commute_minutes", 60))

        window_spec = (
            [(r["family"], r["window"], r["start"], r["end"]) for r in read_csv(windows)]
            if (windows := folder / "windows.csv").exists()
            else DEFAULT_WINDOWS
        )
        schools = {
            r["school_id"]: School(
                id=r["school_id"],
                lat=float(r["lat"]),
                lon=float(r["lon"]),
                nation=r["nation"],
                calendar=r["term_calendar"],
                holiday_access=_bool(r.get("holiday_access", "")),
                requires_senior=_bool(r.get("requires_senior", "")),
                skills=_list(r.get("required_skills", "")),
                preferred_weekday=r.get("preferred_weekday", ""),
                preferred_window=r.get("preferred_window", ""),
            )
            for r in read_csv(folder / "schools.csv")
        }
        technicians = {
            r["technician_id"]: Technician(
                id=r["technician_id"],
                lat=float(r["lat"]),
                lon=float(r["lon"]),
                grade=r["grade"],
                skills=_list(r.get("skills", "")),
                work_days=_list(r.get("work_days", "")) or set(WEEKDAYS[:5]),
                max_visits=int(r.get("max_visits_per_day") or 3),
                max_commute=float(r.get("max_commute_minutes") or max_commute),
            )
            for r in read_csv(folder / "technicians.csv")
        }
        contracts = {}
        for r in read_csv(folder / "contracts.csv"):
            start = date.fromisoformat(r["start_date"])
            contracts[r["contract_id"]] = Contract(
                id=r["contract_id"],
                school=r["school_id"],
                package=r["package"],
                visits=int(r.get("visits") or 0),
                cadence=r.get("cadence") or "none",
                family=r.get("window_family", ""),
                start=start,
                end=start + timedelta(days=7 * int(r["period_weeks"]) - 1),
            )
        terms: dict[str, list[Span]] = defaultdict(list)
        for r in read_csv(folder / "term_dates.csv"):
            span = (date.fromisoformat(r["first_day"]), date.fromisoformat(r["last_day"]))
            terms[r["term_calendar"]].append(span)
        return cls(
            shutdown=[
                (date.fromisoformat(a), date.fromisoformat(b))
                for a, b in company.get("shutdown", [])
            ],
            onsite_start=_time(company.get("onsite_start", "08:00")),
            onsite_end=_time(company.get("onsite_end", "18:00")),
            speed_kmh=float(travel.get("speed_kmh", 40)),
            detour_factor=float(travel.get("detour_factor", 1.3)),
            windows={(f, w): (_time(a), _time(b)) for f, w, a, b in window_spec},
            schools=schools,
            technicians=technicians,
            terms=terms,
            closures=_spans(read_csv(folder / "closures.csv"), "school_id"),
            leave=_spans(read_csv(folder / "leave.csv"), "technician_id"),
            contracts=contracts,
            history=read_csv(folder / "visits.csv"),
            travel_table={
                (r["from_id"], r["to_id"]): float(r["minutes"])
                for r in read_csv(folder / "travel.csv")
            },
        )

    def is_public_holiday(self, nation: str, day: date) -> bool:
        key = (nation, day.year)
        if key not in self._holidays:
            self._holidays[key] = holidays.country_holidays("GB", subdiv=nation, years=day.year)
        return day in self._holidays[key]

    def unvisitable(self, school_id: str, day: date, contract: Contract) -> list[str]:
        """Why rule 1 forbids a visit to the school that day (empty when it allows one)."""
        school = self.schools[school_id]
        reasons = []
        if day.weekday() >= 5:
            reasons.append("weekend")
        if self.is_public_holiday(school.nation, day):
            reasons.append(f"public holiday of {school.nation}")
        if _within(day, self.shutdown):
            reasons.append("shutdown")
        if _within(day, self.closures.get(school_id, [])):
            reasons.append("school closure")
        if not contract.start <= day <= contract.end:
            reasons.append(f"outside contract period {contract.start}..{contract.end}")
        if not school.holiday_access and not _within(day, self.terms.get(school.calendar, [])):
            reasons.append("out of term (no holiday_access)")
        return reasons

    def _coordinates(self, place: str) -> tuple[float, float]:
        where = self.schools.get(place) or self.technicians[place]
        return where.lat, where.lon

    def travel(self, origin: str, destination: str) -> float:
        """travel.csv for the ordered pair, else the spec's exact coordinate estimate."""
        if (origin, destination) in self.travel_table:
            return self.travel_table[(origin, destination)]
        if origin == destination:
            return 0.0
        lat1, lon1 = map(math.radians, self._coordinates(origin))
        lat2, lon2 = map(math.radians, self._coordinates(destination))
        h = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
        return km * self.detour_factor / self.speed_kmh * 60


@dataclass
class Visit:
    """One roster row that named a known contract, school and technician."""

    day: date
    start: int
    end: int
    window: str
    kind: str
    contract: Contract
    technician: Technician
    tag: str


def _read_roster(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [column.strip() for column in reader.fieldnames or []]
        rows = [
            {key.strip(): (value or "").strip() for key, value in row.items() if key}
            for row in reader
        ]
    return header, rows


def _check_report(report: dict[str, Any], rows: int) -> list[str]:
    """The keys the spec promises, and a count that matches the roster."""
    problems = [
        f"report: report.json lacks key {key}"
        for key in [*REPORT_KEYS, "unplaced"]
        if key not in report
    ]
    if report.get("visits_planned") != rows:
        problems.append(
            f"report: visits_planned={report.get('visits_planned')} but the roster has {rows} rows"
        )
    for entry in report.get("unplaced") or []:
        missing = [key for key in ("contract_id", "visits", "reason") if key not in entry]
        if missing:
            problems.append(f"report: unplaced entry {entry} lacks {', '.join(missing)}")
    return problems


def _check_row(
    scenario: Scenario, row: dict[str, str], number: int, date_from: date, date_to: date
) -> tuple[list[str], Visit | None]:
    """Rules 1-3 for one row, plus what makes the row readable at all."""
    tag = (
        f"roster row {number} ({row['date']} {row['window']} {row['school_id']} "
        f"{row['contract_id']} {row['technician_id']} {row['kind']})"
    )
    try:
        day = date.fromisoformat(row["date"])
        start, end = _time(row["start"]), _time(row["end"])
    except ValueError as error:
        return [f"format: {tag}: bad date or time ({error})"], None
    problems = []
    if row["kind"] not in KINDS:
        problems.append(f"format: {tag}: unknown kind {row['kind']!r}")
    contract = scenario.contracts.get(row["contract_id"])
    technician = scenario.technicians.get(row["technician_id"])
    if not row["technician_id"]:
        return [*problems, f"format: {tag}: a row without a technician"], None
    if contract is None or technician is None or contract.school not in scenario.schools:
        return [*problems, f"format: {tag}: unknown contract, school or technician"], None
    if contract.school != row["school_id"]:
        problems.append(f"format: {tag}: the contract's school is {contract.school}")
    if not date_from <= day <= date_to:
        problems.append(f"horizon: {tag}: outside --from/--to")

    reasons = scenario.unvisitable(contract.school, day, contract)
    if reasons:
        problems.append(f"R1: {tag}: not visitable: {', '.join(reasons)}")

    if row["kind"] == "dedicated":
        if contract.package != "full_managed":
            problems.append(f"R2: {tag}: dedicated row for a {contract.package} contract")
        day_span = (scenario.onsite_start, scenario.onsite_end)
        if row["window"] != "DAY" or (start, end) != day_span:
            problems.append(
                f"R2: {tag}: a dedicated row is DAY {_hhmm(day_span[0])}-{_hhmm(day_span[1])}"
            )
    else:
        window = scenario.windows.get((contract.family, row["window"]))
        if window is None:
            problems.append(f"R2: {tag}: no window {row['window']} in family {contract.family}")
        elif window != (start, end):
            problems.append(
                f"R2: {tag}: {contract.family}/{row['window']} is "
                f"{_hhmm(window[0])}-{_hhmm(window[1])}"
            )

    school = scenario.schools[contract.school]
    weekday = WEEKDAYS[day.weekday()]
    if weekday not in technician.work_days:
        problems.append(f"R3: {tag}: {technician.id} does not work on {weekday}")
    if _within(day, scenario.leave.get(technician.id, [])):
        problems.append(f"R3: {tag}: {technician.id} is on leave")
    if school.requires_senior and technician.grade == "apprentice":
        problems.append(f"R3: {tag}: an apprentice at a requires_senior school")
    if not school.skills <= technician.skills:
        lacking = sorted(school.skills - technician.skills)
        problems.append(f"R3: {tag}: {technician.id} lacks {lacking}")
    visit = Visit(day, start, end, row["window"], row["kind"], contract, technician, tag)
    return problems, visit


def _check_days(scenario: Scenario, visits: list[Visit]) -> tuple[list[str], float]:
    """Rule 4 per technician-day; also returns the spec's total travel for the metric."""
    problems = []
    total = 0.0
    by_day: dict[tuple[str, date], list[Visit]] = defaultdict(list)
    for visit in visits:
        by_day[(visit.technician.id, visit.day)].append(visit)
    for (tech_id, day), day_visits in sorted(by_day.items()):
        day_visits.sort(key=lambda v: (v.start, v.end))
        technician = scenario.technicians[tech_id]
        tag = f"R4: {tech_id} on {day}"
        if len(day_visits) > technician.max_visits:
            problems.append(f"{tag}: {len(day_visits)} visits > {technician.max_visits} a day")
        if len(day_visits) > 1 and any(v.kind == "dedicated" for v in day_visits):
            problems.append(f"{tag}: a dedicated day with {len(day_visits)} rows")
        for visit in day_visits:
            if visit.start < scenario.onsite_start or visit.end > scenario.onsite_end:
                problems.append(f"{tag}: {visit.tag} outside the onsite hours")
            if visit.end <= visit.start:
                problems.append(f"{tag}: {visit.tag} ends before it starts")
        first, last = day_visits[0].contract.school, day_visits[-1].contract.school
        for label, minutes in (
            (f"home->{first}", scenario.travel(tech_id, first)),
            (f"{last}->home", scenario.travel(last, tech_id)),
        ):
            total += minutes
            if minutes > technician.max_commute + FLOAT_NOISE:
                problems.append(
                    f"{tag}: {label} {minutes:.2f} min > max_commute {technician.max_commute:g}"
                )
        for before, after in pairwise(day_visits):
            minutes = scenario.travel(before.contract.school, after.contract.school)
            total += minutes
            gap = after.start - before.end
            if gap < 0:
                problems.append(f"{tag}: {before.tag} overlaps {after.tag}")
            elif gap + FLOAT_NOISE < minutes:
                problems.append(
                    f"{tag}: {before.contract.school}->{after.contract.school} takes "
                    f"{minutes:.2f} min, the gap is {gap} min"
                )
    return problems, total


def _check_counts(
    scenario: Scenario, visits: list[Visit], report: dict[str, Any], date_to: date
) -> tuple[list[str], int]:
    """Rules 5 and 6: one visit per school-day, bought = history + roster or said why not.

    Visits a contract owes past --to may sit in report.json's
    `deferred_beyond_horizon`; only a contract whose period runs past --to may
    defer. Returns the problems and the spec's shortfall.
    """
    problems = []
    per_school_day = Counter((v.contract.school, v.day) for v in visits)
    for (school_id, day), count in sorted(per_school_day.items()):
        if count > 1:
            problems.append(f"R5: school {school_id} gets {count} visits on {day}")
    consumed = Counter(h["contract_id"] for h in scenario.history if h["status"] in CONSUMING)
    placed = Counter(v.contract.id for v in visits if v.kind != "dedicated")
    unplaced: Counter[str] = Counter()
    for entry in report.get("unplaced") or []:
        unplaced[entry.get("contract_id")] += int(entry.get("visits") or 0)
        if not entry.get("reason"):
            problems.append(f"R6: contract {entry.get('contract_id')} unplaced without a reason")
    deferred = Counter(report.get("deferred_beyond_horizon") or {})
    shortfall = 0
    for contract in scenario.contracts.values():
        if contract.package not in BOUGHT:
            continue
        cid = contract.id
        total = consumed[cid] + placed[cid]
        if total > contract.visits:
            problems.append(
                f"R5: contract {cid}: history {consumed[cid]} + roster {placed[cid]} "
                f"> bought {contract.visits}"
            )
        owed = max(0, contract.visits - total)
        shortfall += owed
        if deferred[cid] and contract.end <= date_to:
            problems.append(f"R6: contract {cid} ends by --to but defers {deferred[cid]} visits")
        if unplaced[cid] + deferred[cid] != owed:
            problems.append(
                f"R6: contract {cid} owes {owed} (bought {contract.visits}, history "
                f"{consumed[cid]}, roster {placed[cid]}) but report.json says unplaced "
                f"{unplaced[cid]}, deferred {deferred[cid]}"
            )
    for cid in unplaced:
        if cid not in scenario.contracts:
            problems.append(f"R6: report.json unplaced names unknown contract {cid}")
    return problems, shortfall


def _metrics(scenario: Scenario, visits: list[Visit], rows: int, travel: float) -> Metrics:
    """The spec's quality metrics of the roster, pooled over contracts."""
    regular = preferred = continuous = 0
    weeks_total = preference_weeks = cadence_visits = 0
    for contract in scenario.contracts.values():
        if contract.cadence not in CADENCES:
            continue
        own = [v for v in visits if v.contract is contract and v.kind != "dedicated"]
        if len(own) < 2:
            continue
        weeks: dict[tuple[int, int], set[tuple[int, str]]] = defaultdict(set)
        for visit in own:
            weeks[visit.day.isocalendar()[:2]].add((visit.day.weekday(), visit.window))
        slots = Counter((v.day.weekday(), v.window) for v in own)
        slot = slots.most_common(1)[0][0]
        weeks_total += len(weeks)
        regular += sum(slot in week for week in weeks.values())
        school = scenario.schools[contract.school]
        if school.preferred_weekday:
            wish = WEEKDAYS.index(school.preferred_weekday)
            preference_weeks += len(weeks)
            preferred += sum(
                any(
                    weekday == wish and school.preferred_window in ("", window)
                    for weekday, window in week
                )
                for week in weeks.values()
            )
        cadence_visits += len(own)
        continuous += Counter(v.technician.id for v in own).most_common(1)[0][1]
    return {
        "rows": rows,
        "travel_total": travel,
        "travel_per_visit": travel / rows if rows else None,
        "regularity": regular / weeks_total if weeks_total else None,
        "preference": preferred / preference_weeks if preference_weeks else None,
        "continuity": continuous / cadence_visits if cadence_visits else None,
    }


def check(
    scenario_dir: Path, date_from: date, date_to: date, roster: Path, report: Path
) -> tuple[list[str], Metrics]:
    """Every hard-rule violation of the roster (as "RULE: message"), and the spec's metrics."""
    scenario = Scenario.load(scenario_dir)
    header, rows = _read_roster(roster)
    missing = [column for column in ROSTER_COLUMNS if column not in header]
    if missing:
        return [f"columns: roster.csv lacks {', '.join(missing)}"], {}
    try:
        report_data = json.loads(report.read_text())
    except (OSError, ValueError) as error:
        return [f"report: report.json unreadable: {error}"], {}
    problems = _check_report(report_data, len(rows))
    visits = []
    for number, row in enumerate(rows, start=2):
        row_problems, visit = _check_row(scenario, row, number, date_from, date_to)
        problems += row_problems
        if visit is not None:
            visits.append(visit)
    day_problems, travel = _check_days(scenario, visits)
    count_problems, shortfall = _check_counts(scenario, visits, report_data, date_to)
    metrics = _metrics(scenario, visits, len(rows), travel)
    metrics["shortfall"] = shortfall
    return [*problems, *day_problems, *count_problems], metrics

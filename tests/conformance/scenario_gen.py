"""Seeded generator of varied, valid scenario folders, written from the spec alone.

The spec: ../shared/spec/scenario-format.md ("Scenario folder and roster").
It imports nothing from `scheduler` or `solver`, so a misreading of the
format in the product cannot leak into the scenarios that test it. Every
scenario is valid, yet leans on what a dispatcher's export may do: optional
files and columns left out, columns in any order, unknown columns, empty
cells meaning "default", all four nations, holiday access, seniority and
skills, part-time technicians, leave, closures, shutdowns, custom windows,
travel.csv figures, every package and cadence, history with every status and
full-managed schools with a dedicated technician.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

Row = dict[str, str]

YEAR = 2026
CENTRES: dict[str, list[tuple[str, float, float]]] = {
    "ENG": [("Kent", 51.20, 0.75), ("Birmingham", 52.48, -1.90)],
    "WLS": [("Cardiff", 51.48, -3.18)],
    "SCT": [("Edinburgh", 55.95, -3.19)],
    "NIR": [("Belfast", 54.60, -5.93)],
}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]
SKILLS = ["SIMS", "AV", "NETWORK", "MAC"]
UNKNOWN_COLUMNS = ["colour", "notes", "Legacy ID", "x_extra"]
HISTORY_STATUSES = ["delivered"] * 6 + [
    "emergency",
    "remote_in_lieu",
    "cancelled_by_school",
    "cancelled_by_provider",
    "cancelled_by_provider",
]
CLOSURE_REASONS = ["INSET day", "snow", ""]
TECHNICIAN_COLUMNS = [
    "technician_id",
    "name",
    "lat",
    "lon",
    "grade",
    "skills",
    "work_days",
    "max_visits_per_day",
    "max_commute_minutes",
]
CONTRACT_COLUMNS = [
    "contract_id",
    "school_id",
    "package",
    "visits",
    "cadence",
    "window_family",
    "start_date",
    "period_weeks",
    "dedicated_technician_id",
    "sla_policy",
]
CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 28}
# Every window below lies within 08:00-16:30 and every onsite choice covers
# that span, so no window ever sticks out of the onsite hours.
DEFAULT_WINDOWS: dict[str, list[tuple[str, str, str]]] = {
    "3h": [("AM", "08:30", "11:30"), ("PM", "12:30", "15:30")],
    "2h": [("AM", "08:30", "10:30"), ("LUNCH", "11:00", "13:00"), ("PM", "14:30", "16:00")],
}
ONSITE_HOURS = [("08:00", "18:00")] * 3 + [
    ("07:30", "17:00"),
    ("08:00", "16:30"),
    ("07:45", "18:30"),
]


@dataclass
class Place:
    """A town the schools and technicians cluster around."""

    name: str
    lat: float
    lon: float


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point uniformly spread over a disc of radius `km`, so travel times vary."""
    radius = km * math.sqrt(rng.random())
    angle = rng.random() * 2 * math.pi
    dlat = radius * math.cos(angle) / 111.0
    dlon = radius * math.sin(angle) / (111.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _write_csv(
    path: Path,
    columns: list[str],
    rows: Iterable[Row],
    rng: random.Random,
    required: Collection[str] = (),
    *,
    varied: bool = True,
) -> None:
    """Write rows the way varied exports do.

    When `varied`, an optional column whose cells are all empty may be left
    out (it then takes its default), columns may be shuffled and an unknown
    column may be added: all three are allowed by the format's conventions.
    """
    rows = list(rows)
    columns = list(columns)
    if varied:
        if rng.random() < 0.5:
            columns = [
                c
                for c in columns
                if c in required or any(r.get(c, "") for r in rows) or rng.random() >= 0.7
            ]
        if rng.random() < 0.5:
            rng.shuffle(columns)
        if rng.random() < 0.3:
            columns.insert(rng.randrange(len(columns) + 1), rng.choice(UNKNOWN_COLUMNS))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                [
                    row.get(c, f"extra-{rng.randrange(100)}" if c in UNKNOWN_COLUMNS else "")
                    for c in columns
                ]
            )


def _settings(folder: Path, rng: random.Random) -> int:
    """settings.toml (sometimes none at all), keys left out where default; returns onsite_start."""
    if rng.random() < 0.15:
        return _minutes("08:00")
    onsite_start, onsite_end = rng.choice(ONSITE_HOURS)
    speed = rng.choice([40, 40, 30, 50, 35.5])
    detour = rng.choice([1.3, 1.3, 1.2, 1.5])
    max_commute = rng.choice([60, 60, 45, 75, 40])
    shutdowns: list[tuple[date, date]] = []
    if rng.random() < 0.8:
        first = date(YEAR, 12, rng.choice([18, 21, 22]))
        shutdowns.append((first, date(YEAR + 1, 1, rng.choice([1, 2, 4]))))
    if rng.random() < 0.3:
        first = date(YEAR + 1, 4, rng.randint(1, 20))
        shutdowns.append((first, first + timedelta(days=rng.randint(0, 4))))
    lines = ["[company]"]
    if shutdowns:
        ranges = ", ".join(f'["{a}", "{b}"]' for a, b in shutdowns)
        lines.append(f"shutdown = [{ranges}]")
    if onsite_start != "08:00" or rng.random() < 0.5:
        lines.append(f'onsite_start = "{onsite_start}"')
    if onsite_end != "18:00" or rng.random() < 0.5:
        lines.append(f'onsite_end = "{onsite_end}"')
    lines.append("[travel]")
    if speed != 40 or rng.random() < 0.5:
        lines.append(f"speed_kmh = {speed}")
    if detour != 1.3 or rng.random() < 0.5:
        lines.append(f"detour_factor = {detour}")
    if max_commute != 60 or rng.random() < 0.5:
        lines.append(f"max_commute_minutes = {max_commute}")
    (folder / "settings.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return _minutes(onsite_start)


def _windows(
    folder: Path, rng: random.Random, onsite_start: int
) -> dict[str, list[tuple[str, str, str]]]:
    """Default windows (sometimes spelled out in windows.csv) or a shifted custom set."""
    columns = ["family", "window", "start", "end"]
    if rng.random() < 0.4:
        shift = rng.choice([-30, 0, 15, 30])

        def moved(hhmm: str) -> str:
            return _hhmm(_minutes(hhmm) + shift)

        windows = {
            "3h": [("AM", moved("08:30"), moved("11:30")), ("PM", moved("13:00"), moved("16:00"))],
            "2h": [
                ("AM", moved("08:30"), moved("10:30")),
                ("LUNCH", moved("11:00"), moved("13:00")),
                ("PM", moved("14:00"), moved("16:00")),
            ],
        }
        if rng.random() < 0.5:
            early = onsite_start <= _minutes("08:00")
            windows["2h"].append(
                ("EARLY", "08:00", "10:00") if early else ("MID", "10:00", "12:00")
            )
    else:
        windows = DEFAULT_WINDOWS
        if rng.random() >= 0.3:
            return windows
    rows = [
        {"family": family, "window": name, "start": start, "end": end}
        for family, spans in windows.items()
        for name, start, end in spans
    ]
    _write_csv(folder / "windows.csv", columns, rows, rng, columns)
    return windows


def _term_blocks(nation: str, shift: int) -> list[tuple[date, date]]:
    """Term blocks of a nation's typical year, spring YEAR to winter YEAR+1, shifted by days."""
    blocks: list[tuple[date, date]] = []
    for y in (YEAR, YEAR + 1):
        if nation == "SCT":
            spans = [
                (1, 6, 2, 13),
                (2, 18, 3, 31),
                (4, 16, 6, 26),
                (8, 18, 10, 9),
                (10, 19, 12, 22),
            ]
        elif nation == "NIR":
            spans = [(1, 5, 2, 13), (2, 23, 3, 31), (4, 13, 6, 30), (9, 1, 10, 23), (11, 2, 12, 21)]
        else:
            spans = [
                (1, 5, 2, 13),
                (2, 23, 3, 27),
                (4, 13, 5, 22),
                (6, 1, 7, 21),
                (9, 3, 10, 23),
                (11, 2, 12, 18),
            ]
        blocks += [(date(y, m1, d1), date(y, m2, d2)) for m1, d1, m2, d2 in spans]
    offset = timedelta(days=shift)
    return [(first + offset, last + offset) for first, last in blocks]


def generate(folder: Path, seed: int, schools: int) -> tuple[date, date]:
    """Write a valid scenario with `schools` schools into `folder`; return (--from, --to).

    The horizon starts on a Tuesday in September or October 2026 (so that
    contracts started earlier have history) and ends with the latest contract
    period, so every period ends inside it and nothing may be deferred.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise ValueError(f"{folder} is not empty: a stale file would join the scenario")
    rng = random.Random(seed)
    onsite_start = _settings(folder, rng)
    windows = _windows(folder, rng, onsite_start)

    nations = ["ENG"] if rng.random() < 0.3 else ["ENG"] * 4 + ["WLS", "SCT", "NIR"]
    calendars = {n: [f"{n}-CAL{i}" for i in range(rng.randint(1, 2))] for n in sorted(CENTRES)}
    term_rows = [
        {"term_calendar": name, "first_day": str(first), "last_day": str(last)}
        for nation, names in calendars.items()
        for i, name in enumerate(names)
        for first, last in _term_blocks(nation, i * rng.choice([1, 2, -1, 3]))
    ]

    school_rows: list[Row] = []
    school_place: dict[str, Place] = {}
    for i in range(schools):
        nation = rng.choice(nations)
        place = Place(*rng.choice(CENTRES[nation]))
        lat, lon = _jitter(rng, place.lat, place.lon, rng.choice([8, 15, 25]))
        school_id = f"SCH{i:03d}"
        school_place[school_id] = place
        school_rows.append(
            {
                "school_id": school_id,
                "name": f"{place.name} School {i}",
                "postcode": f"XX{i} 1AB" if rng.random() < 0.7 else "",
                "lat": str(lat),
                "lon": str(lon),
                "nation": nation,
                "term_calendar": rng.choice(calendars[nation]),
                "holiday_access": "true" if rng.random() < 0.2 else rng.choice(["false", ""]),
                "requires_senior": "true" if rng.random() < 0.2 else rng.choice(["false", ""]),
                "required_skills": rng.choice(SKILLS) if rng.random() < 0.12 else "",
                "preferred_weekday": rng.choice(WEEKDAYS) if rng.random() < 0.5 else "",
                "preferred_window": "",
            }
        )

    tech_rows: list[Row] = []
    tech_place: dict[str, str] = {}
    places = sorted({(p.name, p.lat, p.lon) for p in school_place.values()})
    for name, lat0, lon0 in places:
        local = sum(1 for p in school_place.values() if p.name == name)
        for _ in range(max(1, round(local / rng.choice([5, 7, 10])))):
            lat, lon = _jitter(rng, lat0, lon0, 12)
            days = WEEKDAYS
            if rng.random() >= 0.6:
                days = sorted(rng.sample(WEEKDAYS, rng.choice([2, 3, 4])), key=WEEKDAYS.index)
            tech_id = f"T{len(tech_rows):02d}"
            tech_place[tech_id] = name
            tech_rows.append(
                {
                    "technician_id": tech_id,
                    "name": f"Tech {len(tech_rows)}",
                    "lat": str(lat),
                    "lon": str(lon),
                    "grade": rng.choice(["apprentice", "first_line", "first_line", "second_line"]),
                    "skills": ";".join(sorted(rng.sample(SKILLS, rng.choice([0, 1, 1, 2, 3])))),
                    "work_days": "" if days == WEEKDAYS and rng.random() < 0.5 else ";".join(days),
                    "max_visits_per_day": rng.choice(["", "", "3", "2", "1", "4"]),
                    "max_commute_minutes": rng.choice(["", "", "", "30", "45", "90"]),
                }
            )

    date_from = date(YEAR, 9, 1) + timedelta(days=rng.choice([0, 7, 14, 28, 35]))
    contract_rows: list[Row] = []
    history: list[Row] = []
    dedicated: list[str] = []
    for i, school in enumerate(school_rows):
        school_id = school["school_id"]
        start = date(YEAR, 9, 1)
        if rng.random() < 0.25:
            start = rng.choice(
                [
                    date(YEAR, 4, 14),
                    date(YEAR, 6, 2),
                    date(YEAR, 7, 28),
                    date(YEAR, 10, 27),
                    date(YEAR + 1, 1, 5),
                    date(YEAR, 8, 18),
                ]
            )
        contract: Row = {
            "contract_id": f"CON{i:03d}",
            "school_id": school_id,
            "start_date": str(start),
            "dedicated_technician_id": "",
            "sla_policy": rng.choice(["", "", "standard"]),
        }
        draw = rng.random()
        if draw < 0.45:
            cadence = rng.choice(["weekly", "weekly", "fortnightly", "monthly"])
            contract |= {
                "package": "scheduled",
                "visits": str({"weekly": 46, "fortnightly": 23, "monthly": 10}[cadence]),
                "cadence": cadence,
                "window_family": rng.choice(["3h"] * 4 + ["2h"]),
                "period_weeks": str(rng.choice([46, 46, 52])),
            }
        elif draw < 0.75:
            cadence = rng.choice(["weekly", "fortnightly", "fortnightly", "monthly"])
            visits = {"weekly": rng.choice([38, 40]), "fortnightly": 19, "monthly": 12}[cadence]
            contract |= {
                "package": "scheduled_on_demand",
                "visits": str(visits),
                "cadence": cadence,
                "window_family": rng.choice(["2h"] * 4 + ["3h"]),
                "period_weeks": str(rng.choice([52, 52, 46])),
            }
        elif draw < 0.83:
            contract |= {
                "package": "on_demand",
                "visits": rng.choice(["0", ""]),
                "cadence": rng.choice(["none", ""]),
                "window_family": rng.choice(["2h", ""]),
                "period_weeks": "52",
            }
        elif draw < 0.9:
            contract |= {
                "package": "cloud",
                "visits": rng.choice(["0", ""]),
                "cadence": rng.choice(["none", ""]),
                "window_family": "",
                "period_weeks": "52",
            }
        else:
            # A dedicated technician of their own living near the school; one
            # may lack the school's skill (the product must then send cover).
            lat, lon = _jitter(rng, float(school["lat"]), float(school["lon"]), 3)
            tech_id = f"T{len(tech_rows):02d}"
            tech_place[tech_id] = school_place[school_id].name
            tech_rows.append(
                {
                    "technician_id": tech_id,
                    "name": f"Dedicated {tech_id}",
                    "lat": str(lat),
                    "lon": str(lon),
                    "grade": rng.choice(["first_line", "second_line"]),
                    "skills": school["required_skills"] if rng.random() < 0.8 else "",
                }
            )
            dedicated.append(tech_id)
            contract |= {
                "package": "full_managed",
                "visits": "0",
                "cadence": "none",
                "window_family": rng.choice(["3h", ""]),
                "period_weeks": "52",
                "dedicated_technician_id": tech_id,
            }
        contract_rows.append(contract)
        if contract["package"] in ("scheduled", "scheduled_on_demand") and start < date_from:
            history += _history(rng, contract, start, date_from, windows, tech_place, school_place)

    for school in school_rows:
        family = next(
            c["window_family"] for c in contract_rows if c["school_id"] == school["school_id"]
        )
        if family in windows and rng.random() < 0.3:
            school["preferred_window"] = rng.choice(windows[family])[0]

    absences = ["annual leave", "", "sick"]
    leave = [
        _span(rng, "technician_id", t["technician_id"], date_from, 300, [0, 1, 4, 11, 18], absences)
        for t in tech_rows
        for _ in range(rng.choice([0, 1, 1, 2, 3]))
    ]
    for tech_id in dedicated:  # a dedicated technician away: cover must come from the pool
        away = date_from + timedelta(days=10)
        leave.append(_span(rng, "technician_id", tech_id, away, 190, [0, 4, 9], ["annual leave"]))
    closures = [
        _span(rng, "school_id", s["school_id"], date_from, 320, [0, 0, 1, 4], CLOSURE_REASONS)
        for s in school_rows
        for _ in range(rng.choice([0, 0, 1, 2]))
    ]

    travel: dict[tuple[str, str], Row] = {}
    if rng.random() < 0.6:
        ids = [s["school_id"] for s in school_rows] + [t["technician_id"] for t in tech_rows]
        for _ in range(rng.randint(3, 30)):
            a, b = rng.sample(ids, 2)
            minutes = rng.choice([5, 10, 20, 35, 50, 70, 95])
            travel.setdefault((a, b), {"from_id": a, "to_id": b, "minutes": str(minutes)})

    _write_csv(
        folder / "schools.csv",
        [*school_rows[0]],
        school_rows,
        rng,
        ["school_id", "name", "lat", "lon", "nation", "term_calendar"],
    )
    _write_csv(
        folder / "technicians.csv",
        TECHNICIAN_COLUMNS,
        tech_rows,
        rng,
        ["technician_id", "name", "lat", "lon", "grade"],
    )
    _write_csv(
        folder / "contracts.csv",
        CONTRACT_COLUMNS,
        contract_rows,
        rng,
        CONTRACT_COLUMNS[:8],
    )
    used = {s["term_calendar"] for s in school_rows}
    span_columns = ["first_day", "last_day"]
    _write_csv(
        folder / "term_dates.csv",
        ["term_calendar", *span_columns],
        [r for r in term_rows if r["term_calendar"] in used],
        rng,
        ["term_calendar", *span_columns],
    )
    if closures or rng.random() < 0.5:
        _write_csv(
            folder / "closures.csv",
            ["school_id", *span_columns, "reason"],
            closures,
            rng,
            ["school_id", *span_columns],
        )
    if leave:
        _write_csv(
            folder / "leave.csv",
            ["technician_id", *span_columns, "reason"],
            leave,
            rng,
            ["technician_id", *span_columns],
        )
    if history:
        visit_columns = ["visit_id", "contract_id", "date", "window", "technician_id", "status"]
        _write_csv(folder / "visits.csv", visit_columns, history, rng, visit_columns[1:])
    if travel:
        travel_columns = ["from_id", "to_id", "minutes"]
        _write_csv(
            folder / "travel.csv",
            travel_columns,
            travel.values(),
            rng,
            travel_columns,
            varied=False,
        )
    ends = [
        date.fromisoformat(c["start_date"]) + timedelta(days=7 * int(c["period_weeks"]) - 1)
        for c in contract_rows
    ]
    return date_from, max(ends)


def _span(
    rng: random.Random,
    key: str,
    value: str,
    earliest: date,
    within: int,
    lengths: list[int],
    reasons: list[str],
) -> Row:
    """A leave or closure row: a few days starting up to `within` days after `earliest`."""
    first = earliest + timedelta(days=rng.randint(0, within))
    last = first + timedelta(days=rng.choice(lengths))
    reason = rng.choice(reasons)  # optional: may be empty
    return {key: value, "first_day": str(first), "last_day": str(last), "reason": reason}


def _history(
    rng: random.Random,
    contract: Row,
    start: date,
    date_from: date,
    windows: dict[str, list[tuple[str, str, str]]],
    tech_place: dict[str, str],
    school_place: dict[str, Place],
) -> list[Row]:
    """Past visits on the contract's cadence up to --from, every status among them.

    At least two bought visits stay unconsumed, so history never exceeds what
    was bought (visits.csv must not over-consume a scheduled contract).
    """
    place = school_place[contract["school_id"]].name
    local = [t for t, p in tech_place.items() if p == place] or list(tech_place)
    window_names = [name for name, _, _ in windows[contract["window_family"]]]
    rows: list[Row] = []
    consumed = 0
    day = start
    while day < date_from and consumed < int(contract["visits"]) - 2:
        visit_day = day + timedelta(days=rng.randint(0, 4))
        if visit_day.weekday() > 4:
            visit_day -= timedelta(days=visit_day.weekday() - 4)
        if visit_day < date_from:
            status = rng.choice(HISTORY_STATUSES)
            rows.append(
                {
                    "visit_id": rng.choice([f"H-{contract['contract_id']}-{len(rows)}", ""]),
                    "contract_id": contract["contract_id"],
                    "date": str(visit_day),
                    "window": rng.choice(window_names),
                    "technician_id": rng.choice(local),
                    "status": status,
                }
            )
            consumed += status != "cancelled_by_provider"
        day += timedelta(days=CADENCE_DAYS[contract["cadence"]])
    return rows

"""`scheduler solve` on generated scenarios, judged by a checker that shares no code with it.

The spec: ../shared/spec/scenario-format.md. `scenario_gen` writes valid
scenarios from the spec alone and `spec_check` checks the six hard rules the
same way: neither imports `scheduler` or `solver`, so a rule the product
misreads is not misread here too. The seeds are fixed and together cover
every edge case the generator knows (checked below); the checker is shown to
catch a hand-made violation of each rule, so the suite cannot pass by
checking nothing.
"""

from __future__ import annotations

import csv
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from scenario_gen import (
    CONTRACT_COLUMNS,
    DEFAULT_WINDOWS,
    TECHNICIAN_COLUMNS,
    UNKNOWN_COLUMNS,
    generate,
)
from spec_check import REPORT_KEYS, WEEKDAYS, Scenario, check

from scheduler.cli import main

SEEDS = [(3, 24), (41, 16), (43, 20), (38, 12)]
"""(seed, schools): small, quick to solve, and between them every edge case."""
TIME_LIMIT = "8"
CANONICAL_COLUMNS = {
    "schools.csv": [
        "school_id",
        "name",
        "postcode",
        "lat",
        "lon",
        "nation",
        "term_calendar",
        "holiday_access",
        "requires_senior",
        "required_skills",
        "preferred_weekday",
        "preferred_window",
    ],
    "technicians.csv": TECHNICIAN_COLUMNS,
    "contracts.csv": CONTRACT_COLUMNS,
}
EDGE_CASES = {
    "no settings.toml",
    "shutdown",
    "custom windows",
    "travel.csv",
    "unknown column",
    "column order",
    "column left out",
    "empty cell",
    "holiday_access",
    "requires_senior",
    "required skills",
    "part-time",
    "leave",
    "closures",
    "dedicated",
    *(f"nation {n}" for n in ("ENG", "WLS", "SCT", "NIR")),
    *(
        f"package {p}"
        for p in ("scheduled", "scheduled_on_demand", "on_demand", "full_managed", "cloud")
    ),
    *(f"cadence {c}" for c in ("weekly", "fortnightly", "monthly", "none")),
    *(
        f"status {s}"
        for s in (
            "delivered",
            "emergency",
            "remote_in_lieu",
            "cancelled_by_school",
            "cancelled_by_provider",
        )
    ),
}


@dataclass(frozen=True)
class Solved:
    """One generated scenario and what `scheduler solve` made of it."""

    scenario: Path
    date_from: date
    date_to: date
    roster: Path
    report: Path
    exit_code: int


@pytest.fixture(scope="module")
def solve(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Solved]:
    """Generate and solve a seed once per module, however many tests look at it.

    `weeks` cuts the horizon short of the generator's (which covers every
    contract period), so that periods run past --to.
    """
    cache: dict[tuple[int, int, int | None], Solved] = {}

    def solved(seed: int, schools: int, weeks: int | None = None) -> Solved:
        if (seed, schools, weeks) not in cache:
            base = tmp_path_factory.mktemp(f"seed{seed}")
            date_from, date_to = generate(base / "scenario", seed, schools)
            if weeks is not None:
                date_to = date_from + timedelta(weeks=weeks)
            roster, report = base / "roster.csv", base / "report.json"
            code = main(
                [
                    "solve",
                    str(base / "scenario"),
                    "--from",
                    str(date_from),
                    "--to",
                    str(date_to),
                    "--out",
                    str(roster),
                    "--report",
                    str(report),
                    "--time-limit",
                    TIME_LIMIT,
                ]
            )
            cache[(seed, schools, weeks)] = Solved(
                base / "scenario", date_from, date_to, roster, report, code
            )
        return cache[(seed, schools, weeks)]

    return solved


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.exists():
        return [], []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _edge_cases(folder: Path) -> set[str]:
    """Which of EDGE_CASES a generated scenario folder shows."""
    found: set[str] = set()
    settings = folder / "settings.toml"
    if not settings.exists():
        found.add("no settings.toml")
    elif "shutdown" in tomllib.loads(settings.read_text()).get("company", {}):
        found.add("shutdown")
    _, windows = _rows(folder / "windows.csv")
    spelled = {(r["family"], r["window"], r["start"], r["end"]) for r in windows}
    defaults = {(family, *window) for family, spans in DEFAULT_WINDOWS.items() for window in spans}
    if windows and spelled != defaults:
        found.add("custom windows")
    if (folder / "travel.csv").exists():
        found.add("travel.csv")
    for name, canonical in CANONICAL_COLUMNS.items():
        header, rows = _rows(folder / name)
        known = [c for c in header if c in canonical]
        if set(header) & set(UNKNOWN_COLUMNS):
            found.add("unknown column")
        if known != [c for c in canonical if c in known]:
            found.add("column order")
        if set(canonical) - set(header):
            found.add("column left out")
        if any(r.get(c) == "" for r in rows for c in canonical[5:]):
            found.add("empty cell")
    _, schools = _rows(folder / "schools.csv")
    found |= {f"nation {r['nation']}" for r in schools}
    for flag in ("holiday_access", "requires_senior"):
        if any(r.get(flag) == "true" for r in schools):
            found.add(flag)
    if any(r.get("required_skills") for r in schools):
        found.add("required skills")
    _, technicians = _rows(folder / "technicians.csv")
    if any(0 < len(r.get("work_days", "").split(";")) < 5 for r in technicians):
        found.add("part-time")
    _, contracts = _rows(folder / "contracts.csv")
    found |= {f"package {r['package']}" for r in contracts}
    found |= {f"cadence {r['cadence']}" for r in contracts if r.get("cadence")}
    if any(r.get("dedicated_technician_id") for r in contracts):
        found.add("dedicated")
    found |= {f"status {r['status']}" for r in _rows(folder / "visits.csv")[1]}
    for name, case in (("leave.csv", "leave"), ("closures.csv", "closures")):
        if _rows(folder / name)[1]:
            found.add(case)
    return found


def test_the_seeds_cover_every_edge_case(tmp_path: Path) -> None:
    found: set[str] = set()
    for seed, schools in SEEDS:
        generate(tmp_path / f"seed{seed}", seed, schools)
        found |= _edge_cases(tmp_path / f"seed{seed}")
    assert EDGE_CASES - found == set()


@pytest.mark.parametrize(("seed", "schools"), SEEDS, ids=[f"seed{s}" for s, _ in SEEDS])
def test_solve_meets_the_spec(solve: Callable[..., Solved], seed: int, schools: int) -> None:
    run = solve(seed, schools)
    assert run.exit_code == 0
    violations, metrics = check(run.scenario, run.date_from, run.date_to, run.roster, run.report)
    assert violations == [], "\n".join(violations[:30])
    report = json.loads(run.report.read_text())
    assert {*REPORT_KEYS, "unplaced"} <= report.keys()
    assert report["visits_planned"] == metrics["rows"] > 0


def test_a_short_horizon_meets_the_spec(solve: Callable[..., Solved]) -> None:
    """Contracts running past --to may defer what they owe; those ending inside may not."""
    run = solve(*SEEDS[0], weeks=20)
    assert run.exit_code == 0
    violations, _ = check(run.scenario, run.date_from, run.date_to, run.roster, run.report)
    assert violations == [], "\n".join(violations[:30])


def _saturday(rows: list[dict[str, str]], scenario: Scenario) -> str:
    row = next(r for r in rows if r["kind"] != "dedicated")
    day = date.fromisoformat(row["date"])
    row["date"] = str(day + timedelta(days=5 - day.weekday()))
    return "R1"


def _window_moved(rows: list[dict[str, str]], scenario: Scenario) -> str:
    row = next(r for r in rows if r["kind"] != "dedicated")
    row["start"] = "07:15"
    return "R2"


def _unqualified_technician(rows: list[dict[str, str]], scenario: Scenario) -> str:
    """Hand a visit to a technician who is off that weekday, away, too junior or unskilled."""
    for row in rows:
        school = scenario.schools[row["school_id"]]
        weekday = WEEKDAYS[date.fromisoformat(row["date"]).weekday()]
        for technician in scenario.technicians.values():
            if (
                weekday not in technician.work_days
                or (school.requires_senior and technician.grade == "apprentice")
                or not school.skills <= technician.skills
            ):
                row["technician_id"] = technician.id
                return "R3"
    raise AssertionError("every technician could take every visit: no R3 case to make")


def _overlap(rows: list[dict[str, str]], scenario: Scenario) -> str:
    """Give a technician a second visit at the same time, at another school."""
    by_slot: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        if row["kind"] == "dedicated":
            continue
        other = by_slot.setdefault((row["date"], row["start"]), row)
        if other["technician_id"] != row["technician_id"]:
            row["technician_id"] = other["technician_id"]
            return "R4"
    raise AssertionError("no two technicians ever start at the same time: no R4 case to make")


def _duplicate(rows: list[dict[str, str]], scenario: Scenario) -> str:
    rows.append(dict(next(r for r in rows if r["kind"] != "dedicated")))
    return "R5"


def _dropped(rows: list[dict[str, str]], scenario: Scenario) -> str:
    rows.remove(next(r for r in rows if r["kind"] != "dedicated"))
    return "R6"


MUTATIONS: dict[str, Callable[[list[dict[str, str]], Scenario], str]] = {
    "visit on a Saturday": _saturday,
    "window times moved": _window_moved,
    "unqualified technician": _unqualified_technician,
    "overlapping visits": _overlap,
    "school visited twice a day": _duplicate,
    "owed visit silently dropped": _dropped,
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_the_checker_catches_a_planted_violation(
    solve: Callable[..., Solved], tmp_path: Path, mutation: str
) -> None:
    run = solve(*SEEDS[0])
    header, rows = _rows(run.roster)
    rule = MUTATIONS[mutation](rows, Scenario.load(run.scenario))
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    report: dict[str, Any] = json.loads(run.report.read_text())
    report["visits_planned"] = len(rows)  # so that only the planted rule can fire
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(report))
    violations, _ = check(run.scenario, run.date_from, run.date_to, roster, report_path)
    assert any(v.startswith(f"{rule}:") for v in violations), violations


def test_the_checker_catches_a_miscounted_report(
    solve: Callable[..., Solved], tmp_path: Path
) -> None:
    run = solve(*SEEDS[0])
    report = json.loads(run.report.read_text())
    report["visits_planned"] += 1
    del report["best_bound"]
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(report))
    violations, _ = check(run.scenario, run.date_from, run.date_to, run.roster, report_path)
    assert sum(v.startswith("report:") for v in violations) == 2, violations

"""The scenario folder reader and writer against the contract (scenario-format.md).

Each malformed case of tests/malformed_cases.py must be refused with a problem at its
exact file, row and column; valid folders must read, default and round-trip exactly.
"""

from __future__ import annotations

import dataclasses
import filecmp
import shutil
from datetime import date, datetime, time
from pathlib import Path

import pytest

from scheduler.domain import (
    DEFAULT_WINDOWS,
    LONDON,
    Cadence,
    Contract,
    Nation,
    Package,
    Scenario,
    Settings,
    Window,
)
from scheduler.errors import InputError, Problem
from scheduler.scenario import DEFAULT_FAMILY, SHEETS, _undecodable, read_scenario, write_scenario
from tests.malformed_cases import (
    CASES,
    TINY,
    MalformedCase,
    append_row,
    delete_file,
    drop_column,
    make_case,
    replace_text,
    set_cell,
)
from tests.support import EXAMPLE

OPTIONAL_FILES = [
    *("closures.csv", "leave.csv", "visits.csv", "tickets.csv", "travel.csv", "windows.csv"),
    *("settings.toml", "sla.toml"),
]


def _tiny_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


def _errors(folder: Path) -> list[Problem]:
    with pytest.raises(InputError) as refused:
        read_scenario(folder)
    return refused.value.problems


def _where(problems: list[Problem]) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in problems}


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    scenario, warnings = read_scenario(TINY)
    assert warnings == []
    return scenario


def test_example_reads_without_problems() -> None:
    scenario, warnings = read_scenario(EXAMPLE)
    assert warnings == []
    counts = {name: len(getattr(scenario, name)) for name in (
        "schools", "technicians", "contracts", "term_dates", "closures", "leave", "history",
        "tickets", "travel", "windows", "sla_policies",
    )}  # fmt: skip
    assert counts == {
        "schools": 30, "technicians": 9, "contracts": 30, "term_dates": 35, "closures": 23,
        "leave": 18, "history": 7, "tickets": 4, "travel": 0, "windows": 5, "sla_policies": 1,
    }  # fmt: skip
    assert scenario.settings.shutdown == ((date(2026, 12, 21), date(2027, 1, 1)),)


def test_tiny_reads_typed_values(tiny: Scenario) -> None:
    s3 = tiny.school("S3")
    assert (s3.name, s3.nation, s3.preferred_weekday, s3.preferred_window) == (
        "Gamma Primary School, Newport", Nation.WLS, 1, "LUNCH",
    )  # fmt: skip
    assert tiny.school("S4").required_skills == {"AV", "NETWORK"}
    assert tiny.technician("T3").work_days == {0, 2, 4}
    assert tiny.technician("T1").max_commute_minutes is None
    c4 = tiny.contract("C4")
    assert (c4.package, c4.window_family, c4.sla_policy) == (Package.ON_DEMAND, "3h", "standard")
    assert tiny.contract("C3").dedicated_technician_id == "T2"
    k2 = next(t for t in tiny.tickets if t.ticket_id == "K2")
    assert k2.opened_at == datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)
    assert [p[0].day for p in k2.pauses] == [23, 25]  # sorted, whatever the cell's order
    assert k2.emergency is False and k2.priority == "low"
    assert tiny.settings.objective == {"regularity": 5.0, "travel": 1.0}
    assert tiny.settings.provider_name == "Tiny IT Ltd"
    assert [p.name for p in tiny.sla_policies] == ["gold", "standard"]


def test_history_row_without_id_gets_a_stable_one(tiny: Scenario) -> None:
    assert "C2-20260908-LUNCH" in {v.visit_id for v in tiny.history}


def test_the_malformed_table_is_big_and_distinct() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_case_is_reported_where_it_is(case: MalformedCase, tmp_path: Path) -> None:
    problems = _errors(make_case(case, tmp_path))
    assert (case.file, case.row, case.column) in _where(problems), problems
    assert all(p.file and p.expected and p.severity == "error" for p in problems)


def test_every_error_of_a_folder_is_reported(tmp_path: Path) -> None:
    chosen = [c for c in CASES if c.name in {
        "bad_date", "latitude_out_of_range", "duplicate_visit_id", "overlapping_pauses",
        "settings_wrong_type", "unknown_technician_of_leave", "missing_column_closure_last_day",
    }]  # fmt: skip
    folder = _tiny_copy(tmp_path)
    for case in chosen:
        case.mutate(folder)
    assert _where(_errors(folder)) >= {(c.file, c.row, c.column) for c in chosen}


def test_every_bad_cell_of_a_row_is_reported(tmp_path: Path) -> None:
    folder = _tiny_copy(tmp_path)
    for column, value in (("lat", "x"), ("lon", "y"), ("nation", "FR"), ("holiday_access", "1")):
        set_cell("schools.csv", 3, column, value)(folder)
    where = _where(_errors(folder))
    assert {("schools.csv", 3, c) for c in ("lat", "lon", "nation", "holiday_access")} <= where


def test_unknown_column_is_a_warning_and_still_imports(tmp_path: Path, tiny: Scenario) -> None:
    folder = _tiny_copy(tmp_path)
    append_column = replace_text("schools.csv", "preferred_window\n", "preferred_window,notes\n")
    append_column(folder)
    replace_text("settings.toml", "[travel]\n", "[travel]\nspeed_mph = 25\n")(folder)
    scenario, warnings = read_scenario(folder)
    assert scenario == tiny
    assert _where(warnings) == {
        ("schools.csv", None, "notes"), ("settings.toml", None, "travel.speed_mph"),
    }  # fmt: skip
    assert all(w.severity == "warning" for w in warnings)


def test_absent_optional_files_take_the_defaults(tmp_path: Path) -> None:
    folder = _tiny_copy(tmp_path)
    for name in OPTIONAL_FILES:
        delete_file(name)(folder)
    set_cell("contracts.csv", 3, "sla_policy", "")(folder)  # gold is gone with sla.toml
    scenario, warnings = read_scenario(folder)
    assert warnings == []
    assert (scenario.closures, scenario.leave, scenario.history) == ([], [], [])
    assert (scenario.tickets, scenario.travel) == ([], [])
    assert sorted(scenario.windows, key=str) == sorted(DEFAULT_WINDOWS, key=str)
    assert scenario.settings == Settings()
    [standard] = scenario.sla_policies
    assert standard.name == "standard"
    assert standard.table["response_hours"] == {"urgent": 1, "high": 2, "medium": 4, "low": 8}
    assert standard.table["resolution_hours"]["low"] == 80 and standard.table["target"] == 0.95
    assert standard.table["hours"] == "Mon-Fri 08:00-16:30"


def test_absent_optional_columns_take_the_defaults(tmp_path: Path) -> None:
    folder = _tiny_copy(tmp_path)
    optional = {
        "schools.csv": ["postcode", "holiday_access", "requires_senior", "required_skills",
                        "preferred_weekday", "preferred_window"],
        "technicians.csv": ["skills", "work_days", "max_visits_per_day", "max_commute_minutes"],
        "contracts.csv": ["sla_policy"],
        "visits.csv": ["visit_id"],
        "tickets.csv": ["responded_at", "resolved_at", "pauses", "emergency"],
        "closures.csv": ["reason"],
    }  # fmt: skip
    for file, columns in optional.items():
        for column in columns:
            drop_column(file, column)(folder)
    for column in ("visits", "cadence", "window_family"):  # fine once no contract is scheduled
        drop_column("contracts.csv", column)(folder)
    for row in (2, 3):
        set_cell("contracts.csv", row, "package", "on_demand")(folder)
    set_cell("visits.csv", 8, "window", "AM")(folder)  # C2 falls back to the 3h family
    scenario, warnings = read_scenario(folder)
    assert warnings == []
    school = scenario.school("S1")
    assert (school.postcode, school.holiday_access, school.requires_senior) == ("", False, False)
    assert (school.required_skills, school.preferred_weekday, school.preferred_window) == (
        frozenset(), None, None,
    )  # fmt: skip
    tech = scenario.technician("T2")
    assert (tech.skills, tech.work_days, tech.max_visits_per_day) == (frozenset(), set(range(5)), 3)
    assert tech.max_commute_minutes is None
    contract = scenario.contract("C1")
    assert (contract.visits, contract.cadence, contract.window_family, contract.sla_policy) == (
        0, Cadence.NONE, DEFAULT_FAMILY, "standard",
    )  # fmt: skip
    assert Contract("c", "s", Package.CLOUD, date(2026, 1, 1), 1).window_family == DEFAULT_FAMILY
    assert all(t.pauses == () and not t.emergency for t in scenario.tickets)
    assert len({v.visit_id for v in scenario.history}) == len(scenario.history)


@pytest.mark.parametrize("source", [EXAMPLE, TINY], ids=["example", "tiny"])
def test_round_trip_is_byte_identical_and_equal(source: Path, tmp_path: Path) -> None:
    original, _ = read_scenario(source)
    write_scenario(original, tmp_path / "first")
    again, warnings = read_scenario(tmp_path / "first")
    write_scenario(again, tmp_path / "second")
    assert warnings == []
    assert again == original
    written = sorted(p.name for p in (tmp_path / "first").iterdir())
    assert written == sorted([s.file for s in SHEETS] + ["settings.toml", "sla.toml"])
    _, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "first", tmp_path / "second", written, shallow=False
    )
    assert (mismatch, errors) == ([], [])


def test_an_empty_scenario_is_written_with_every_header(tmp_path: Path) -> None:
    write_scenario(Scenario(), tmp_path)
    assert (tmp_path / "closures.csv").read_text() == "school_id,first_day,last_day,reason\n"
    assert (tmp_path / "windows.csv").read_text().count("\n") == 1 + len(DEFAULT_WINDOWS)
    assert "speed_kmh = 40.0" in (tmp_path / "settings.toml").read_text()
    assert "[policy.standard]" in (tmp_path / "sla.toml").read_text()


def test_floats_and_lists_are_written_canonically(tmp_path: Path, tiny: Scenario) -> None:
    school = dataclasses.replace(tiny.school("S1"), lat=51.1 + 0.2, required_skills={"B", "A"})
    write_scenario(dataclasses.replace(tiny, schools=[school]), tmp_path)
    row = (tmp_path / "schools.csv").read_text().splitlines()[1].split(",")
    assert row[3] == repr(51.1 + 0.2) and row[9] == "A;B"


def test_full_managed_history_may_use_the_whole_day_window(tmp_path: Path) -> None:
    folder = _tiny_copy(tmp_path)
    visit = {"contract_id": "C3", "date": "2026-09-02", "window": "DAY", "technician_id": "T2",
             "status": "delivered"}  # fmt: skip
    append_row("visits.csv", visit)(folder)
    scenario, _ = read_scenario(folder)
    assert any(v.window == "DAY" for v in scenario.history)


def test_spreadsheet_quirks_keep_row_numbers(tmp_path: Path) -> None:
    """A BOM, a blank line and trailing empty cells are harmless; the rows after a blank
    line keep the number a spreadsheet shows."""
    folder = _tiny_copy(tmp_path)
    path = folder / "leave.csv"
    lines = path.read_text().splitlines()
    lines.insert(2, "")
    lines[1] += ",,"
    lines[3] = lines[3].replace("2027-04-06", "2027-04-31")
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    assert _where(_errors(folder)) == {("leave.csv", 4, "last_day")}


def test_a_cell_beyond_the_header_is_an_error(tmp_path: Path) -> None:
    folder = _tiny_copy(tmp_path)
    replace_text("leave.csv", "annual leave\n", "annual leave,extra\n")(folder)
    assert ("leave.csv", 2, None) in _where(_errors(folder))


def test_native_toml_dates_and_times_are_accepted(tmp_path: Path, tiny: Scenario) -> None:
    folder = _tiny_copy(tmp_path)
    replace_text("settings.toml", '"2026-12-21", "2027-01-01"', "2026-12-21, 2027-01-01")(folder)
    replace_text("settings.toml", 'onsite_start = "08:00"', "onsite_start = 08:00:00")(folder)
    scenario, _ = read_scenario(folder)
    assert scenario.settings == tiny.settings
    assert scenario.settings.onsite_start == time(8, 0)


def test_a_missing_folder_is_bad_input(tmp_path: Path) -> None:
    assert _errors(tmp_path / "nowhere")[0].expected == "a scenario folder"


def test_sheet_fields_follow_the_dataclass_fields() -> None:
    """Objects are built positionally for speed, so the order must match."""
    renamed = {(Window, "window"): "name"}
    for sheet in SHEETS:
        names = [renamed.get((sheet.make, f.column), f.column) for f in sheet.fields]
        assert names == [f.name for f in dataclasses.fields(sheet.make)], sheet.file
        assert set(sheet.columns) == {f.column for f in sheet.fields}, sheet.file


@pytest.mark.parametrize(
    ("data", "row", "column", "value"),
    [
        (b"id,name\n1,A\n2,B\xeata\n", 3, "name", "B\ufffdta"),
        (b"id,name\r\n1,A\r\n2,B\xeata\r\n", 3, "name", "B\ufffdta"),
        (b"id,name\r1,A\r2,B\xeata\r", 3, "name", "B\ufffdta"),  # an old Mac's CR endings
        (b"id,name\n1,A\n\xc9cole,2\n", 3, "id", "\ufffdcole"),  # first byte of a row
        (b'id,name\n1,"two\nlines"\n2,B\xeata\n', 3, "name", "B\ufffdta"),  # rows are records
        (b"\xef\xbb\xbfid,n\xe9me\n1,A\n", 1, None, "n\ufffdme"),  # the header, after a BOM
        (b"id,name\n1,A,extra\xe9\n", 2, None, "extra\ufffd"),  # beyond the header
    ],
)
def test_a_file_that_is_not_utf8_is_refused_at_its_first_bad_cell(
    tmp_path: Path, data: bytes, row: int, column: str | None, value: str
) -> None:
    path = tmp_path / "schools.csv"
    path.write_bytes(data)
    problem = _undecodable(path)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "schools.csv", row, column, value,
    )  # fmt: skip


def test_a_utf16_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "schools.csv"
    path.write_text("id,name\n1,Bêta\n", encoding="utf-16")
    problem = _undecodable(path)
    assert (problem.row, problem.value) == (None, "UTF-16 text")

"""Malformed scenario folders, each one small mutation of the valid `fixtures/tiny` folder,
with the (file, row, column) an importer must name.

Self-contained (standard library only, no import of the code under test) so that any
importer can be held to the same table: the reader's unit tests, and the CLI import on
SQLite and PostgreSQL (exit 2, database unchanged). Rows are spreadsheet rows: the header
is row 1; `row=None` means a whole-file problem, `column=None` one without a column.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"

Mutation = Callable[[Path], None]


@dataclass(frozen=True, slots=True)
class MalformedCase:
    name: str
    mutate: Mutation
    file: str
    row: int | None
    column: str | None


def make_case(case: MalformedCase, tmp_path: Path) -> Path:
    """A fresh copy of the tiny scenario with the case's mutation applied."""
    folder = tmp_path / case.name
    shutil.copytree(TINY, folder)
    case.mutate(folder)
    return folder


# --------------------------------------------------------------------------- mutations


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, records: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(records)


def set_cell(file: str, row: int, column: str, value: str) -> Mutation:
    def mutate(folder: Path) -> None:
        records = _read(folder / file)
        records[row - 1][records[0].index(column)] = value
        _write(folder / file, records)

    return mutate


def drop_column(file: str, column: str) -> Mutation:
    def mutate(folder: Path) -> None:
        records = _read(folder / file)
        index = records[0].index(column)
        _write(folder / file, [r[:index] + r[index + 1 :] for r in records])

    return mutate


def append_row(file: str, cells: dict[str, str]) -> Mutation:
    def mutate(folder: Path) -> None:
        records = _read(folder / file)
        records.append([cells.get(name, "") for name in records[0]])
        _write(folder / file, records)

    return mutate


def copy_row(file: str, row: int) -> Mutation:
    """Appends a copy of a row: a duplicate of everything, ids included."""

    def mutate(folder: Path) -> None:
        records = _read(folder / file)
        _write(folder / file, [*records, records[row - 1]])

    return mutate


def delete_file(file: str) -> Mutation:
    def mutate(folder: Path) -> None:
        (folder / file).unlink()

    return mutate


def add_column(file: str, column: str) -> Mutation:
    """Appends a column, empty on every row (fill it with set_cell)."""

    def mutate(folder: Path) -> None:
        records = _read(folder / file)
        _write(folder / file, [[*records[0], column], *([*r, ""] for r in records[1:])])

    return mutate


def append_text(file: str, text: str) -> Mutation:
    def mutate(folder: Path) -> None:
        with (folder / file).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return mutate


def saved_as_latin1(file: str, row: int, column: str, value: str) -> Mutation:
    """A cell with an accent, the whole file saved in Latin-1 (a spreadsheet's "CSV", not
    "CSV UTF-8")."""

    def mutate(folder: Path) -> None:
        set_cell(file, row, column, value)(folder)
        path = folder / file
        path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))

    return mutate


def all_of(*mutations: Mutation) -> Mutation:
    def mutate(folder: Path) -> None:
        for mutation in mutations:
            mutation(folder)

    return mutate


def replace_text(file: str, old: str, new: str) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} is not once in {file}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


# --------------------------------------------------------------------------- the table
# tiny rows: schools S1..S4 = 2..5; technicians T1..T3 = 2..4; contracts C1..C5 = 2..6
# (C1 scheduled with 4 visits, all consumed by history; C2 scheduled_on_demand, policy gold;
# C3 full_managed with T2; C4 on_demand; C5 cloud); visits H1..H6 = 2..7, row 8 has no id;
# tickets K1..K4 = 2..5 (K2 on row 3 has two pauses and is resolved 2026-11-26T12:00;
# K1 and K4 are S1's, under C1; K3 on row 4 is S4's, under the standard policy).

S, T, C = "schools.csv", "technicians.csv", "contracts.csv"
V, K, W = "visits.csv", "tickets.csv", "windows.csv"
TD, CL, LV, TR = "term_dates.csv", "closures.csv", "leave.csv", "travel.csv"
ST, SLA = "settings.toml", "sla.toml"

ITIL_POLICY = """
[policy.itil]
priorities = ["P1", "P2", "P3", "P4"]
response = { P1 = "1h", P2 = "2h", P3 = "4h", P4 = "8h" }
resolution = { P1 = "1d", P2 = "2d", P3 = "3d", P4 = "5d" }

[policy.itil.matrix]
high = { high = "P1", medium = "P2", low = "P3" }
medium = { high = "P2", medium = "P3", low = "P4" }
low = { high = "P3", medium = "P4", low = "P4" }
"""
"""Own labels and an impact x urgency matrix, as data/sla/impact-urgency.toml."""
ITIL_POLICY_WITH_A_BAD_CELL = ITIL_POLICY.replace(
    'medium = "P4", low = "P4"', 'medium = "P4", low = "P7"'
)
ITIL_FOR_S1 = all_of(append_text(SLA, ITIL_POLICY), set_cell(C, 2, "sla_policy", "itil"))
ITIL_WITH_IMPACT_URGENCY = all_of(ITIL_FOR_S1, add_column(K, "impact"), add_column(K, "urgency"))


def _k1_by_matrix(impact: str, urgency: str) -> Mutation:
    """K1 (row 2, S1 under itil) with an empty priority, given by impact and urgency."""
    return all_of(
        ITIL_WITH_IMPACT_URGENCY,
        set_cell(K, 2, "priority", ""),
        set_cell(K, 2, "impact", impact),
        set_cell(K, 2, "urgency", urgency),
    )


CASES: list[MalformedCase] = [
    # required files and columns
    MalformedCase("missing_schools_file", delete_file(S), S, None, None),
    MalformedCase("missing_technicians_file", delete_file(T), T, None, None),
    MalformedCase("missing_contracts_file", delete_file(C), C, None, None),
    MalformedCase("missing_term_dates_file", delete_file(TD), TD, None, None),
    MalformedCase("missing_column_school_lat", drop_column(S, "lat"), S, None, "lat"),
    MalformedCase(
        "school_name_saved_as_latin1",
        saved_as_latin1(S, 3, "name", "Bêta Secondary School"),
        S,
        3,
        "name",
    ),
    MalformedCase("missing_column_technician_grade", drop_column(T, "grade"), T, None, "grade"),
    MalformedCase(
        "missing_column_contract_start", drop_column(C, "start_date"), C, None, "start_date"
    ),
    MalformedCase("missing_column_visit_status", drop_column(V, "status"), V, None, "status"),
    MalformedCase(
        "missing_column_ticket_opened", drop_column(K, "opened_at"), K, None, "opened_at"
    ),
    MalformedCase(
        "missing_column_closure_last_day", drop_column(CL, "last_day"), CL, None, "last_day"
    ),
    MalformedCase("empty_required_cell", set_cell(S, 4, "name", ""), S, 4, "name"),
    # cell formats
    MalformedCase("bad_date", set_cell(C, 2, "start_date", "2026-13-01"), C, 2, "start_date"),
    MalformedCase("date_not_iso", set_cell(TD, 3, "first_day", "02/11/2026"), TD, 3, "first_day"),
    MalformedCase("bad_time", set_cell(W, 2, "start", "8h30"), W, 2, "start"),
    MalformedCase("bad_number", set_cell(S, 3, "lat", "north"), S, 3, "lat"),
    MalformedCase("latitude_out_of_range", set_cell(S, 2, "lat", "91"), S, 2, "lat"),
    MalformedCase("longitude_out_of_range", set_cell(T, 2, "lon", "-181"), T, 2, "lon"),
    MalformedCase(
        "fractional_period_weeks", set_cell(C, 3, "period_weeks", "52.5"), C, 3, "period_weeks"
    ),
    MalformedCase("zero_period_weeks", set_cell(C, 2, "period_weeks", "0"), C, 2, "period_weeks"),
    MalformedCase(
        "period_beyond_the_calendar", set_cell(C, 3, "period_weeks", "999999"), C, 3, "period_weeks"
    ),
    MalformedCase("negative_visits", set_cell(C, 5, "visits", "-1"), C, 5, "visits"),
    MalformedCase("bad_boolean", set_cell(S, 2, "holiday_access", "yes"), S, 2, "holiday_access"),
    MalformedCase("bad_emergency_flag", set_cell(K, 5, "emergency", "1"), K, 5, "emergency"),
    MalformedCase("bad_nation", set_cell(S, 2, "nation", "ENGLAND"), S, 2, "nation"),
    MalformedCase("bad_grade", set_cell(T, 4, "grade", "senior"), T, 4, "grade"),
    MalformedCase("bad_package", set_cell(C, 6, "package", "premium"), C, 6, "package"),
    MalformedCase("bad_cadence", set_cell(C, 3, "cadence", "daily"), C, 3, "cadence"),
    MalformedCase(
        "unknown_window_family", set_cell(C, 2, "window_family", "4h"), C, 2, "window_family"
    ),
    MalformedCase("bad_visit_status", set_cell(V, 3, "status", "done"), V, 3, "status"),
    MalformedCase("bad_priority", set_cell(K, 4, "priority", "critical"), K, 4, "priority"),
    MalformedCase(
        "weekend_preferred_day",
        set_cell(S, 2, "preferred_weekday", "Sat"),
        S,
        2,
        "preferred_weekday",
    ),
    MalformedCase("weekend_work_day", set_cell(T, 3, "work_days", "Mon;Sun"), T, 3, "work_days"),
    MalformedCase(
        "zero_visits_per_day", set_cell(T, 2, "max_visits_per_day", "0"), T, 2, "max_visits_per_day"
    ),
    MalformedCase(
        "negative_commute",
        set_cell(T, 3, "max_commute_minutes", "-10"),
        T,
        3,
        "max_commute_minutes",
    ),
    MalformedCase("negative_travel_minutes", set_cell(TR, 2, "minutes", "-5"), TR, 2, "minutes"),
    MalformedCase("semicolon_in_id", set_cell(K, 4, "ticket_id", "K;3"), K, 4, "ticket_id"),
    # duplicates, named on the later row
    MalformedCase("duplicate_school_id", copy_row(S, 2), S, 6, "school_id"),
    MalformedCase("duplicate_technician_id", copy_row(T, 3), T, 5, "technician_id"),
    MalformedCase(
        "duplicate_contract_id", set_cell(C, 6, "contract_id", "C4"), C, 6, "contract_id"
    ),
    MalformedCase("duplicate_visit_id", set_cell(V, 3, "visit_id", "H1"), V, 3, "visit_id"),
    MalformedCase("duplicate_ticket_id", set_cell(K, 5, "ticket_id", "K1"), K, 5, "ticket_id"),
    MalformedCase(
        "duplicate_window_in_family",
        append_row(W, {"family": "3h", "window": "AM", "start": "09:00", "end": "12:00"}),
        W,
        7,
        "window",
    ),
    # references
    MalformedCase(
        "unknown_school_of_contract", set_cell(C, 2, "school_id", "S9"), C, 2, "school_id"
    ),
    MalformedCase(
        "unknown_technician_of_visit", set_cell(V, 2, "technician_id", "T9"), V, 2, "technician_id"
    ),
    MalformedCase(
        "unknown_contract_of_visit", set_cell(V, 4, "contract_id", "C9"), V, 4, "contract_id"
    ),
    MalformedCase(
        "unknown_term_calendar", set_cell(S, 5, "term_calendar", "KENT-B"), S, 5, "term_calendar"
    ),
    MalformedCase(
        "unknown_preferred_window",
        set_cell(S, 2, "preferred_window", "EVENING"),
        S,
        2,
        "preferred_window",
    ),
    MalformedCase(
        "history_window_of_other_family", set_cell(V, 2, "window", "LUNCH"), V, 2, "window"
    ),
    MalformedCase(
        "unknown_school_of_closure", set_cell(CL, 3, "school_id", "S9"), CL, 3, "school_id"
    ),
    MalformedCase(
        "unknown_technician_of_leave",
        set_cell(LV, 2, "technician_id", "T9"),
        LV,
        2,
        "technician_id",
    ),
    MalformedCase("unknown_travel_place", set_cell(TR, 3, "to_id", "S9"), TR, 3, "to_id"),
    MalformedCase(
        "unknown_sla_policy", set_cell(C, 2, "sla_policy", "platinum"), C, 2, "sla_policy"
    ),
    MalformedCase(
        "technician_id_of_a_school", set_cell(T, 4, "technician_id", "S4"), T, 4, "technician_id"
    ),
    # date ranges
    MalformedCase(
        "term_block_reversed", set_cell(TD, 2, "first_day", "2026-10-24"), TD, 2, "last_day"
    ),
    MalformedCase(
        "closure_reversed", set_cell(CL, 2, "first_day", "2026-10-23"), CL, 2, "last_day"
    ),
    MalformedCase("leave_reversed", set_cell(LV, 3, "first_day", "2027-04-07"), LV, 3, "last_day"),
    MalformedCase("window_ends_before_start", set_cell(W, 3, "end", "12:00"), W, 3, "end"),
    # contracts
    MalformedCase("scheduled_without_visits", set_cell(C, 2, "visits", ""), C, 2, "visits"),
    MalformedCase("scheduled_without_cadence", set_cell(C, 3, "cadence", "none"), C, 3, "cadence"),
    MalformedCase(
        "scheduled_without_window_family",
        set_cell(C, 2, "window_family", ""),
        C,
        2,
        "window_family",
    ),
    MalformedCase("cloud_with_visits", set_cell(C, 6, "visits", "3"), C, 6, "visits"),
    MalformedCase(
        "full_managed_without_technician",
        set_cell(C, 4, "dedicated_technician_id", ""),
        C,
        4,
        "dedicated_technician_id",
    ),
    MalformedCase(
        "dedicated_technician_on_scheduled",
        set_cell(C, 2, "dedicated_technician_id", "T1"),
        C,
        2,
        "dedicated_technician_id",
    ),
    MalformedCase(
        "unknown_dedicated_technician",
        set_cell(C, 4, "dedicated_technician_id", "T9"),
        C,
        4,
        "dedicated_technician_id",
    ),
    # history
    MalformedCase("history_before_period", set_cell(V, 2, "date", "2026-08-31"), V, 2, "date"),
    MalformedCase(
        "history_over_entitlement",
        append_row(
            V,
            {
                "visit_id": "H7",
                "contract_id": "C1",
                "date": "2026-10-12",
                "window": "AM",
                "technician_id": "T1",
                "status": "delivered",
            },
        ),
        V,
        9,
        "status",
    ),
    # tickets
    MalformedCase(
        "ticket_time_with_space", set_cell(K, 2, "opened_at", "2026-11-27 16:00"), K, 2, "opened_at"
    ),
    MalformedCase(
        "resolved_before_opened",
        set_cell(K, 2, "resolved_at", "2026-11-27T15:00"),
        K,
        2,
        "resolved_at",
    ),
    MalformedCase(
        "responded_before_opened",
        set_cell(K, 5, "responded_at", "2026-09-17T09:00"),
        K,
        5,
        "responded_at",
    ),
    MalformedCase(
        "pause_without_slash",
        set_cell(K, 3, "pauses", "2026-11-23T11:00-2026-11-24T11:00"),
        K,
        3,
        "pauses",
    ),
    MalformedCase(
        "pause_ends_before_start",
        set_cell(K, 3, "pauses", "2026-11-24T11:00/2026-11-23T11:00"),
        K,
        3,
        "pauses",
    ),
    MalformedCase(
        "pause_before_opened",
        set_cell(K, 3, "pauses", "2026-11-23T08:00/2026-11-23T08:30"),
        K,
        3,
        "pauses",
    ),
    MalformedCase(
        "pause_after_resolved",
        set_cell(K, 3, "pauses", "2026-11-26T11:00/2026-11-26T13:00"),
        K,
        3,
        "pauses",
    ),
    MalformedCase(
        "overlapping_pauses",
        set_cell(
            K, 3, "pauses", "2026-11-23T11:00/2026-11-24T11:00;2026-11-24T10:00/2026-11-24T12:00"
        ),
        K,
        3,
        "pauses",
    ),
    # priorities: a label of the ticket's governing policy, or impact and urgency by its matrix
    MalformedCase(
        "priority_unknown_to_own_labels",
        all_of(ITIL_FOR_S1, set_cell(K, 2, "priority", "Sev1")),
        K,
        2,
        "priority",
    ),
    MalformedCase(
        "priority_label_of_another_policy",
        all_of(ITIL_FOR_S1, set_cell(K, 4, "priority", "P1")),
        K,
        4,
        "priority",
    ),
    MalformedCase(
        "neither_priority_nor_impact_and_urgency",
        all_of(ITIL_FOR_S1, set_cell(K, 2, "priority", "")),
        K,
        2,
        "priority",
    ),
    MalformedCase("no_priority_column", drop_column(K, "priority"), K, None, "priority"),
    MalformedCase("unknown_impact", _k1_by_matrix("severe", "high"), K, 2, "impact"),
    MalformedCase("unknown_urgency", _k1_by_matrix("high", "whenever"), K, 2, "urgency"),
    MalformedCase("impact_without_urgency", _k1_by_matrix("high", ""), K, 2, "urgency"),
    MalformedCase("urgency_without_impact", _k1_by_matrix("", "low"), K, 2, "impact"),
    MalformedCase(
        "impact_and_urgency_without_a_matrix",
        all_of(
            ITIL_WITH_IMPACT_URGENCY,
            set_cell(K, 4, "priority", ""),
            set_cell(K, 4, "impact", "high"),
            set_cell(K, 4, "urgency", "high"),
        ),
        K,
        4,
        "priority",
    ),
    # settings.toml and sla.toml: the dotted key is the column
    MalformedCase("settings_syntax_error", replace_text(ST, "[travel]", "[travel"), ST, None, None),
    MalformedCase(
        "settings_wrong_type",
        replace_text(ST, "speed_kmh = 40", 'speed_kmh = "fast"'),
        ST,
        None,
        "travel.speed_kmh",
    ),
    MalformedCase(
        "settings_onsite_end_first",
        replace_text(ST, 'onsite_end = "18:00"', 'onsite_end = "07:00"'),
        ST,
        None,
        "company.onsite_end",
    ),
    MalformedCase(
        "settings_shutdown_reversed",
        replace_text(ST, '"2027-01-01"', '"2026-12-01"'),
        ST,
        None,
        "company.shutdown",
    ),
    MalformedCase(
        "sla_syntax_error", replace_text(SLA, "[policy.gold]", "[policy.gold"), SLA, None, None
    ),
    MalformedCase(
        "sla_wrong_type",
        replace_text(SLA, "target = 0.98", 'target = "high"'),
        SLA,
        None,
        "policy.gold.target",
    ),
    MalformedCase(
        "sla_bad_hours",
        replace_text(SLA, '"Mon-Fri 08:00-16:30"', '"weekdays 8-4"'),
        SLA,
        None,
        "policy.standard.hours",
    ),
    MalformedCase(
        "sla_missing_priority",
        replace_text(
            SLA,
            "response_hours = { urgent = 0.5, high = 1, medium = 2, low = 4 }",
            "response_hours = { urgent = 0.5, high = 1, medium = 2 }",
        ),
        SLA,
        None,
        "policy.gold.response_hours",
    ),
    MalformedCase(
        "sla_unknown_timezone",
        replace_text(SLA, "target = 0.98", 'target = 0.98\ntimezone = "Mars/Olympus"'),
        SLA,
        None,
        "policy.gold.timezone",
    ),
    MalformedCase(
        "sla_matrix_names_an_unknown_priority",
        append_text(SLA, ITIL_POLICY_WITH_A_BAD_CELL),
        SLA,
        None,
        "policy.itil.matrix.low.low",
    ),
]

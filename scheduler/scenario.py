"""Scenario folder <-> `Scenario`: the product's public import/export format.

The contract is `scenario-format.md`. Reading validates the whole folder before
anything is stored and collects every problem with its file, spreadsheet row and
column, so a dispatcher fixes everything in one round. Writing is deterministic
(sorted rows, fixed columns, shortest round-tripping floats) so that import ->
export -> import -> export is byte-identical and exports diff cleanly.

Reading works column by column and parses each distinct cell text once: a national
book has hundreds of thousands of history rows but only a few hundred distinct dates.

Extensions (documented here and in the README), each backwards compatible:

- A history row without a `visit_id` gets a stable one,
  `<contract_id>-<YYYYMMDD>-<window>`, because the database and the app address
  history visits by id.
- sla.toml policies are validated by `scheduler.sla` (one definition of a policy:
  own priority labels, `response`/`resolution` with units, time zones, clocks,
  impact x urgency matrices). Keys a policy leaves out are written with the
  standard policy's values, except `response_hours`/`resolution_hours` beside a
  `response`/`resolution` of the policy's own.
- tickets.csv `priority` may be any priority the ticket's governing policy knows
  (its own labels or the spec's names of the same rank); optional `impact` and
  `urgency` columns give the priority through the policy's matrix when `priority`
  is empty (the `priority` column may then be left out). They are read, not kept:
  the domain ticket holds the derived priority, which is what an export writes.
"""

from __future__ import annotations

import codecs
import copy
import csv
import io
import math
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import pandas as pd
import tomli_w

from scheduler import sla
from scheduler.domain import (
    CONSUMING_STATUSES,
    DAY_WINDOW,
    DEFAULT_WINDOWS,
    LONDON,
    SCHEDULED_PACKAGES,
    WEEKDAY_NAMES,
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
    TravelTime,
    VisitStatus,
    Window,
)
from scheduler.errors import InputError, Problem

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

SCHOOLS = "schools.csv"
TECHNICIANS = "technicians.csv"
CONTRACTS = "contracts.csv"
TERM_DATES = "term_dates.csv"
CLOSURES = "closures.csv"
LEAVE = "leave.csv"
VISITS = "visits.csv"
TICKETS = "tickets.csv"
TRAVEL = "travel.csv"
WINDOWS = "windows.csv"
SETTINGS = "settings.toml"
SLA = sla.SLA_FILE

IMPACT, URGENCY = "impact", "urgency"
"""tickets.csv's optional columns that give the priority through the policy's matrix."""

DEFAULT_POLICY = sla.STANDARD
DEFAULT_FAMILY = "3h"
"""The domain's default window family of a contract that states none (not a scheduled one)."""
WORKING_DAYS = WEEKDAY_NAMES[:5]


# --------------------------------------------------------------------------- cell parsers
# Generic, shared by every file: each takes the stripped cell text and raises
# ValueError when it does not fit, so the caller can name file, row and column.

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_INT_RE = re.compile(r"[+-]?\d+")


def parse_date(text: str) -> date:
    if not _DATE_RE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def parse_time(text: str) -> time:
    match = _TIME_RE.fullmatch(text)
    if not match:
        raise ValueError(text)
    return time(int(match[1]), int(match[2]))


def parse_datetime(text: str) -> datetime:
    """Local wall-clock time in London, as every time in the format is."""
    if not _DATETIME_RE.fullmatch(text):
        raise ValueError(text)
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def parse_bool(text: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(text)


def parse_int(text: str) -> int:
    """Stricter than int(): no underscores, no spaces, no decimals."""
    if not _INT_RE.fullmatch(text):
        raise ValueError(text)
    return int(text)


def parse_float(text: str) -> float:
    """Stricter than float(): no underscores, no nan or infinity."""
    if "_" in text:
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_id(text: str) -> str:
    """Ids are free text, but `;` separates list items, so it cannot be part of one."""
    if ";" in text:
        raise ValueError(text)
    return text


def parse_list(text: str) -> frozenset[str]:
    return frozenset(item for item in (part.strip() for part in text.split(";")) if item)


def parse_weekday(text: str) -> int:
    if text not in WORKING_DAYS:
        raise ValueError(text)
    return WORKING_DAYS.index(text)


def parse_weekdays(text: str) -> frozenset[int]:
    days = frozenset(parse_weekday(item) for item in parse_list(text))
    if not days:
        raise ValueError(text)
    return days


def parse_pauses(text: str) -> tuple[tuple[datetime, datetime], ...]:
    """Only the shape; order, overlap and ticket life are separate rules."""
    pauses = []
    for item in parse_list(text):
        start, slash, end = item.partition("/")
        if not slash:
            raise ValueError(item)
        pauses.append((parse_datetime(start.strip()), parse_datetime(end.strip())))
    return tuple(sorted(pauses))


def at_least(low: int) -> Callable[[str], int]:
    def bounded(text: str) -> int:
        value = parse_int(text)
        if value < low:
            raise ValueError(text)
        return value

    return bounded


def between(low: float, high: float) -> Callable[[str], float]:
    def bounded(text: str) -> float:
        value = parse_float(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value

    return bounded


def one_of(enum: type[E]) -> Callable[[str], E]:
    def parse(text: str) -> E:
        return enum(text)

    return parse


@dataclass(frozen=True, slots=True)
class Cell(Generic[T]):
    """How to read one kind of cell, and what to tell the user when it does not fit."""

    parse: Callable[[str], T]
    expected: str
    placeholder: T
    """Stands in for a bad value so the rest of the row is still checked."""


def _enum_cell(enum: type[E]) -> Cell[E]:
    return Cell(one_of(enum), "one of " + ", ".join(m.value for m in enum), next(iter(enum)))


TEXT = Cell(str, "some text", "")
ID = Cell(parse_id, "an id without ';'", "")
DATE = Cell(parse_date, "a date YYYY-MM-DD", date.min)
TIME = Cell(parse_time, "a time HH:MM", time.min)
DATETIME = Cell(parse_datetime, "a date and time YYYY-MM-DDTHH:MM", datetime.min)
BOOL = Cell(parse_bool, "true or false", False)
LAT = Cell(between(-90, 90), "a latitude between -90 and 90", 0.0)
LON = Cell(between(-180, 180), "a longitude between -180 and 180", 0.0)
WEEKS = Cell(at_least(1), "a whole number of weeks, at least 1", 1)
COUNT = Cell(at_least(0), "a whole number, at least 0", 0)
PER_DAY = Cell(at_least(1), "a whole number, at least 1", 1)
MINUTES = Cell(at_least(0), "a whole number of minutes, at least 0", 0)
LIST = Cell(parse_list, "a ;-separated list", frozenset[str]())
WEEKDAY = Cell(parse_weekday, "one of " + ", ".join(WORKING_DAYS), 0)
WEEKDAYS = Cell(parse_weekdays, "a ;-list of " + ", ".join(WORKING_DAYS), frozenset[int]())
PAUSES = Cell(
    parse_pauses,
    "a ;-list of START/END, each YYYY-MM-DDTHH:MM",
    tuple[tuple[datetime, datetime], ...](),
)
LABEL = Cell(str, "a priority of the ticket's SLA policy", "")
"""Any text: which labels exist depends on the policy governing the ticket (a cross-file rule)."""
NATION = _enum_cell(Nation)
GRADE = _enum_cell(Grade)
PACKAGE = _enum_cell(Package)
CADENCE = _enum_cell(Cadence)
STATUS = _enum_cell(VisitStatus)


# --------------------------------------------------------------------------- writing cells


def _float(value: float) -> str:
    """repr is the shortest text that reads back to the same float."""
    return repr(float(value))


@lru_cache(maxsize=4096)
def _day(value: date) -> str:
    """Cached: a big history repeats the same few hundred dates."""
    return value.isoformat()


def _clock(value: time) -> str:
    return value.strftime("%H:%M")


def _moment(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _items(values: Iterable[str]) -> str:
    return ";".join(sorted(values))


def _weekdays(days: Iterable[int]) -> str:
    return ";".join(WEEKDAY_NAMES[d] for d in sorted(days))


def _pause_text(pause: tuple[datetime, datetime]) -> str:
    return f"{_moment(pause[0])}/{_moment(pause[1])}"


def _school_cells(s: School) -> list[str]:
    weekday = "" if s.preferred_weekday is None else WEEKDAY_NAMES[s.preferred_weekday]
    return [
        s.school_id, s.name, s.postcode, _float(s.lat), _float(s.lon), s.nation.value,
        s.term_calendar, _flag(s.holiday_access), _flag(s.requires_senior),
        _items(s.required_skills), weekday, s.preferred_window or "",
    ]  # fmt: skip


def _technician_cells(t: Technician) -> list[str]:
    commute = "" if t.max_commute_minutes is None else str(t.max_commute_minutes)
    return [
        t.technician_id, t.name, _float(t.lat), _float(t.lon), t.grade.value, _items(t.skills),
        _weekdays(t.work_days), str(t.max_visits_per_day), commute,
    ]  # fmt: skip


def _contract_cells(c: Contract) -> list[str]:
    return [
        c.contract_id, c.school_id, c.package.value, str(c.visits), c.cadence.value,
        c.window_family, _day(c.start_date), str(c.period_weeks),
        c.dedicated_technician_id or "", c.sla_policy,
    ]  # fmt: skip


def _term_block_cells(b: TermBlock) -> list[str]:
    return [b.term_calendar, _day(b.first_day), _day(b.last_day)]


def _closure_cells(c: Closure) -> list[str]:
    return [c.school_id, _day(c.first_day), _day(c.last_day), c.reason]


def _leave_cells(leave: Leave) -> list[str]:
    return [leave.technician_id, _day(leave.first_day), _day(leave.last_day), leave.reason]


def _history_cells(v: HistoryVisit) -> list[str]:
    return [v.visit_id, v.contract_id, _day(v.date), v.window, v.technician_id, v.status.value]


def _ticket_cells(t: Ticket) -> list[str]:
    return [
        t.ticket_id, t.school_id, str(t.priority), _moment(t.opened_at), _moment(t.responded_at),
        _moment(t.resolved_at), ";".join(_pause_text(p) for p in sorted(t.pauses)),
        _flag(t.emergency),
    ]  # fmt: skip


def _travel_cells(t: TravelTime) -> list[str]:
    return [t.from_id, t.to_id, str(t.minutes)]


def _window_cells(w: Window) -> list[str]:
    return [w.family, w.name, _clock(w.start), _clock(w.end)]


# --------------------------------------------------------------------------- the sheets


@dataclass(frozen=True, slots=True)
class Field(Generic[T]):
    """One column as it becomes one attribute; required columns have no default."""

    column: str
    cell: Cell[T]
    required: bool
    default: Any = None


def need(column: str, cell: Cell[T]) -> Field[T]:
    return Field(column, cell, required=True)


def may(column: str, cell: Cell[T], default: Any) -> Field[T]:
    return Field(column, cell, required=False, default=default)


@dataclass(frozen=True, slots=True)
class Sheet(Generic[T]):
    """Everything about one CSV file: how its rows read and write, and its sort key, which
    the reader and the writer share so that a re-read Scenario equals the original."""

    file: str
    attr: str
    """The Scenario attribute holding its objects."""
    make: Callable[..., T]
    fields: tuple[Field[Any], ...]
    """In the order of `make`'s positional parameters (the dataclass fields)."""
    columns: tuple[str, ...]
    """The spec's column order, which the writer uses."""
    cells: Callable[[T], list[str]]
    key: Callable[[T], tuple[Any, ...]]
    mandatory: bool = False
    extra: tuple[str, ...] = ()
    """Columns read for the cross-file rules only: not attributes, never written."""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.fields if f.required)


SHEETS: tuple[Sheet[Any], ...] = (
    Sheet(
        WINDOWS, "windows", Window,
        (need("family", ID), need("window", ID), need("start", TIME), need("end", TIME)),
        ("family", "window", "start", "end"),
        _window_cells, lambda w: (w.family, w.start, w.end, w.name),
    ),
    Sheet(
        SCHOOLS, "schools", School,
        (need("school_id", ID), need("name", TEXT), need("lat", LAT), need("lon", LON),
         need("nation", NATION), need("term_calendar", ID), may("postcode", TEXT, ""),
         may("holiday_access", BOOL, False), may("requires_senior", BOOL, False),
         may("required_skills", LIST, frozenset()), may("preferred_weekday", WEEKDAY, None),
         may("preferred_window", ID, None)),
        ("school_id", "name", "postcode", "lat", "lon", "nation", "term_calendar",
         "holiday_access", "requires_senior", "required_skills", "preferred_weekday",
         "preferred_window"),
        _school_cells, lambda s: (s.school_id,), mandatory=True,
    ),
    Sheet(
        TECHNICIANS, "technicians", Technician,
        (need("technician_id", ID), need("name", TEXT), need("lat", LAT), need("lon", LON),
         need("grade", GRADE), may("skills", LIST, frozenset()),
         may("work_days", WEEKDAYS, frozenset(range(5))), may("max_visits_per_day", PER_DAY, 3),
         may("max_commute_minutes", MINUTES, None)),
        ("technician_id", "name", "lat", "lon", "grade", "skills", "work_days",
         "max_visits_per_day", "max_commute_minutes"),
        _technician_cells, lambda t: (t.technician_id,), mandatory=True,
    ),
    Sheet(
        CONTRACTS, "contracts", Contract,
        (need("contract_id", ID), need("school_id", ID), need("package", PACKAGE),
         need("start_date", DATE), need("period_weeks", WEEKS), may("visits", COUNT, 0),
         may("cadence", CADENCE, Cadence.NONE), may("window_family", ID, DEFAULT_FAMILY),
         may("dedicated_technician_id", ID, None), may("sla_policy", ID, DEFAULT_POLICY)),
        ("contract_id", "school_id", "package", "visits", "cadence", "window_family",
         "start_date", "period_weeks", "dedicated_technician_id", "sla_policy"),
        _contract_cells, lambda c: (c.contract_id,), mandatory=True,
    ),
    Sheet(
        TERM_DATES, "term_dates", TermBlock,
        (need("term_calendar", ID), need("first_day", DATE), need("last_day", DATE)),
        ("term_calendar", "first_day", "last_day"),
        _term_block_cells, lambda b: (b.term_calendar, b.first_day, b.last_day), mandatory=True,
    ),
    Sheet(
        CLOSURES, "closures", Closure,
        (need("school_id", ID), need("first_day", DATE), need("last_day", DATE),
         may("reason", TEXT, "")),
        ("school_id", "first_day", "last_day", "reason"),
        _closure_cells, lambda c: (c.school_id, c.first_day, c.last_day, c.reason),
    ),
    Sheet(
        LEAVE, "leave", Leave,
        (need("technician_id", ID), need("first_day", DATE), need("last_day", DATE),
         may("reason", TEXT, "")),
        ("technician_id", "first_day", "last_day", "reason"),
        _leave_cells, lambda v: (v.technician_id, v.first_day, v.last_day, v.reason),
    ),
    Sheet(
        VISITS, "history", HistoryVisit,
        (may("visit_id", ID, ""), need("contract_id", ID), need("date", DATE),
         need("window", ID), need("technician_id", ID), need("status", STATUS)),
        ("visit_id", "contract_id", "date", "window", "technician_id", "status"),
        _history_cells, lambda v: (v.contract_id, v.date, v.window, v.visit_id),
    ),
    Sheet(
        TICKETS, "tickets", Ticket,
        (need("ticket_id", ID), need("school_id", ID), may("priority", LABEL, ""),
         need("opened_at", DATETIME), may("responded_at", DATETIME, None),
         may("resolved_at", DATETIME, None), may("pauses", PAUSES, ()),
         may("emergency", BOOL, False)),
        ("ticket_id", "school_id", "priority", "opened_at", "responded_at", "resolved_at",
         "pauses", "emergency"),
        _ticket_cells, lambda t: (t.ticket_id,), extra=(IMPACT, URGENCY),
    ),
    Sheet(
        TRAVEL, "travel", TravelTime,
        (need("from_id", ID), need("to_id", ID), need("minutes", MINUTES)),
        ("from_id", "to_id", "minutes"),
        _travel_cells, lambda t: (t.from_id, t.to_id, t.minutes),
    ),
)  # fmt: skip

FILE_ORDER = {
    name: i
    for i, name in enumerate(
        [SETTINGS, SLA, *(s.file for s in SHEETS if s.file != WINDOWS), WINDOWS]
    )
}

Rows = list[tuple[int, T]]
"""Parsed objects with the spreadsheet row each came from."""


# --------------------------------------------------------------------------- reading CSV


@dataclass(slots=True)
class Table:
    """A CSV file as stripped text, column by column. Kept beside the parsed objects so that
    rules about ids and references see every row, even one that failed to parse."""

    file: str
    numbers: list[int]
    """The spreadsheet row of each non-blank data row."""
    cells: dict[str, list[str]]
    """The known columns present in the file; empty when the file is absent or unreadable."""

    def column(self, name: str) -> list[str]:
        return self.cells.get(name) or [""] * len(self.numbers)

    def records(self, *names: str) -> Iterator[tuple[Any, ...]]:
        """(row number, cell, cell...) per row; an absent column reads as empty cells."""
        return zip(self.numbers, *(self.column(n) for n in names), strict=True)

    def values(self, name: str) -> Iterator[tuple[int, str]]:
        """(row number, cell) for each non-empty cell of a column."""
        return ((n, v) for n, v in zip(self.numbers, self.column(name), strict=True) if v)


def _read_frame(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    """Every cell as text (object dtype: plain str, faster to hand to Python than pandas'
    string dtype); the header is row 0. None when unreadable (reported)."""
    try:
        return pd.read_csv(
            path, header=None, dtype=object, keep_default_na=False, skip_blank_lines=False,
            encoding="utf-8-sig",
        )  # fmt: skip
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except pd.errors.ParserError:
        return _ragged_frame(path, problems)
    except UnicodeDecodeError:
        problems.append(_undecodable(path))
        return None


def _undecodable(path: Path) -> Problem:
    """Where a file stops being UTF-8: the row, column and cell of the first bad byte, so the
    dispatcher can find the cell a spreadsheet saved in another encoding (often a name)."""
    data = path.read_bytes()
    expected = "UTF-8 text (save the file as CSV UTF-8)"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Problem(path.name, None, None, "UTF-16 text", expected)
    # Bad bytes decode as U+FFFD; rows are CSV records, as everywhere else (a quoted cell
    # may hold a line break; old Mac files end lines with CR alone).
    records = csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"), newline=""))
    header: list[str] = []
    try:
        for number, record in enumerate(records, start=1):
            if number == 1:
                header = record
            for index, cell in enumerate(record):
                if "\ufffd" in cell:
                    column = header[index] if number > 1 and index < len(header) else None
                    return Problem(path.name, number, column, cell, expected)
    except csv.Error:  # e.g. a quote left open: the file is named without a row
        pass
    return Problem(path.name, None, None, "bytes that are not UTF-8", expected)


def _ragged_frame(path: Path, problems: list[Problem]) -> pd.DataFrame:
    """The slow path, for rows longer than the header (pandas refuses them): empty extra
    cells, as spreadsheets leave them, are dropped; others are reported."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    width = len(records[0])
    for number, record in enumerate(records, start=1):
        extra = ",".join(record[width:])
        if extra.strip(", "):
            problems.append(Problem(path.name, number, None, extra, f"at most {width} cells"))
        record.extend([""] * (width - len(record)))
        del record[width:]
    return pd.DataFrame(records, dtype=object)


def _load_table(folder: Path, sheet: Sheet[Any], problems: list[Problem]) -> Table:
    path = folder / sheet.file
    absent = Table(sheet.file, [], {})
    if not path.is_file():
        if sheet.mandatory:
            problems.append(Problem(sheet.file, None, None, "", f"a file {sheet.file} (required)"))
        return absent
    frame = _read_frame(path, problems)
    if frame is None:
        return absent
    if frame.empty:  # an empty optional file is as good as none
        if sheet.mandatory:
            problems.append(Problem(sheet.file, None, None, "", "a header row"))
        return absent
    header = [str(name).strip() for name in frame.iloc[0]]
    if not _header_ok(sheet, header, problems):
        return absent
    columns = [list(map(str.strip, frame[i].tolist()[1:])) for i in frame.columns]
    numbers = list(range(2, len(frame) + 1))
    blank = _blank_rows(columns)
    if blank:
        keep = [i for i in range(len(numbers)) if i not in blank]
        numbers = [numbers[i] for i in keep]
        columns = [[column[i] for i in keep] for column in columns]
    cells = {name: column for name, column in zip(header, columns, strict=True)}
    known = (*sheet.columns, *sheet.extra)
    return Table(sheet.file, numbers, {c: cells[c] for c in known if c in cells})


def _blank_rows(columns: list[list[str]]) -> set[int]:
    """Blank lines are skipped but keep their number, as a spreadsheet shows them."""
    candidates = [i for i, text in enumerate(columns[0]) if not text]
    return {i for i in candidates if not any(column[i] for column in columns)}


def _header_ok(sheet: Sheet[Any], header: list[str], problems: list[Problem]) -> bool:
    """Reports repeated, missing and unknown columns; False when the rows cannot be read."""
    repeated = [name for name, count in Counter(header).items() if name and count > 1]
    for name in repeated:
        problems.append(Problem(sheet.file, 1, name, name, "each column once"))
    for name in sheet.required:
        if name not in header:
            problems.append(Problem(sheet.file, None, name, "", f"a column {name} (required)"))
    known = ", ".join((*sheet.columns, *sheet.extra))
    for name in header:
        if name and name not in sheet.columns and name not in sheet.extra:
            problems.append(
                Problem(sheet.file, None, name, name, f"one of {known}", severity="warning")
            )
    return not repeated


_BAD = object()
"""Marks a cell text that did not parse."""


def _parse_column(
    table: Table, field: Field[Any], ok: list[bool], problems: list[Problem]
) -> list[Any]:
    """Parses each distinct text once; marks bad rows in `ok` and reports them."""
    texts = table.cells.get(field.column)
    if texts is None:
        if field.required:  # the missing column is reported once, for the whole file
            ok[:] = [False] * len(ok)
        return [field.default] * len(ok)
    parsed: dict[str, Any] = {}
    any_bad = False
    for text in set(texts):
        if not text:
            parsed[text] = _BAD if field.required else field.default
        else:
            try:
                parsed[text] = field.cell.parse(text)
            except ValueError:
                parsed[text] = _BAD
        any_bad = any_bad or parsed[text] is _BAD
    values = list(map(parsed.__getitem__, texts))
    if any_bad:
        for i, text in enumerate(texts):
            if values[i] is _BAD:
                ok[i] = False
                values[i] = field.cell.placeholder
                expected = field.cell.expected + ("" if text else " (required)")
                problems.append(Problem(table.file, table.numbers[i], field.column, text, expected))
    return values


def _parse_sheet(sheet: Sheet[T], table: Table, problems: list[Problem]) -> Rows[T]:
    ok = [True] * len(table.numbers)
    columns = [_parse_column(table, field, ok, problems) for field in sheet.fields]
    made = map(sheet.make, *columns)
    return [(n, item) for n, good, item in zip(table.numbers, ok, made, strict=True) if good]


def _name_unnamed_visits(history: Rows[HistoryVisit]) -> Rows[HistoryVisit]:
    """Gives each history row without a visit_id a stable one that no other row uses."""
    taken = {visit.visit_id for _, visit in history}
    if "" not in taken:
        return history
    named = []
    for number, visit in history:
        if not visit.visit_id:
            base = f"{visit.contract_id}-{visit.date:%Y%m%d}-{visit.window}"
            visit_id, n = base, 1
            while visit_id in taken:
                n += 1
                visit_id = f"{base}-{n}"
            taken.add(visit_id)
            visit = replace(visit, visit_id=visit_id)
        named.append((number, visit))
    return named


# --------------------------------------------------------------------------- TOML files


def _load_toml(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    """None when absent or unreadable (the latter reported), so defaults apply."""
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, None, None, str(exc), "valid TOML"))
        return None


class TomlReader:
    """Typed access to one TOML document; a bad value is reported under its dotted key
    (the file's "column") and replaced by the default so the rest is still checked."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def fail(self, key: str, value: object, expected: str) -> None:
        text = value if isinstance(value, str) else repr(value)
        self.problems.append(Problem(self.file, None, key, text, expected))

    def table(self, parent: dict[str, Any], key: str) -> dict[str, Any]:
        value = parent.get(key, {})
        if isinstance(value, dict):
            return value
        self.fail(key, value, f"a table [{key}]")
        return {}

    def get(
        self,
        table: dict[str, Any],
        path: str,
        convert: Callable[[Any], T],
        expected: str,
        default: T,
    ) -> T:
        key = path.rsplit(".", 1)[-1]
        if key not in table:
            return default
        try:
            return convert(table[key])
        except (ValueError, TypeError):
            self.fail(path, table[key], expected)
            return default

    def warn_unknown(self, table: dict[str, Any], prefix: str, known: tuple[str, ...]) -> None:
        """Unknown keys are ignored like unknown columns: with a warning, in case of a typo."""
        expected = "one of " + ", ".join(prefix + k for k in known)
        for key in sorted(set(table) - set(known)):
            self.problems.append(
                Problem(self.file, None, prefix + key, key, expected, severity="warning")
            )


def _as_number(value: object) -> float:
    """TOML ints count as numbers; booleans do not, though Python says they are ints."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(value)
    if not math.isfinite(value):
        raise ValueError(value)
    return float(value)


def _as_positive(value: object) -> float:
    number = _as_number(value)
    if number <= 0:
        raise ValueError(value)
    return number


def _as_weight(value: object) -> float:
    number = _as_number(value)
    if number < 0:
        raise ValueError(value)
    return number


def _as_minutes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


def _as_string(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _as_time(value: object) -> time:
    """Accepts the spec's "HH:MM" string or a native TOML local time."""
    if isinstance(value, time):
        return value
    return parse_time(_as_string(value))


def _as_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return parse_date(_as_string(value))


def _as_ranges(value: object) -> tuple[tuple[date, date], ...]:
    if not isinstance(value, list):
        raise TypeError(value)
    ranges = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(pair)
        first, last = _as_date(pair[0]), _as_date(pair[1])
        if first > last:
            raise ValueError(pair)
        ranges.append((first, last))
    return tuple(sorted(ranges))


def _read_settings(path: Path, problems: list[Problem]) -> Settings:
    doc = _load_toml(path, problems) or {}
    toml = TomlReader(SETTINGS, problems)
    default = Settings()
    company = toml.table(doc, "company")
    travel = toml.table(doc, "travel")
    objective = toml.table(doc, "objective")
    toml.warn_unknown(doc, "", ("company", "travel", "objective"))
    toml.warn_unknown(company, "company.", ("name", "shutdown", "onsite_start", "onsite_end"))
    toml.warn_unknown(travel, "travel.", ("speed_kmh", "detour_factor", "max_commute_minutes"))
    hhmm = 'a time "HH:MM"'
    settings = Settings(
        shutdown=toml.get(
            company, "company.shutdown", _as_ranges,
            'a list of ["YYYY-MM-DD", "YYYY-MM-DD"] ranges, first day not after last',
            default.shutdown,
        ),
        onsite_start=toml.get(
            company, "company.onsite_start", _as_time, hhmm, default.onsite_start
        ),
        onsite_end=toml.get(company, "company.onsite_end", _as_time, hhmm, default.onsite_end),
        speed_kmh=toml.get(
            travel, "travel.speed_kmh", _as_positive, "a number above 0", default.speed_kmh
        ),
        detour_factor=toml.get(
            travel, "travel.detour_factor", _as_positive, "a number above 0",
            default.detour_factor,
        ),
        max_commute_minutes=toml.get(
            travel, "travel.max_commute_minutes", _as_minutes,
            "a whole number of minutes, at least 0", default.max_commute_minutes,
        ),
        objective={
            term: toml.get(objective, f"objective.{term}", _as_weight, "a number, at least 0", 0.0)
            for term in sorted(objective)
        },
        provider_name=toml.get(company, "company.name", _as_string, "a string", ""),
    )  # fmt: skip
    if settings.onsite_start >= settings.onsite_end:
        toml.fail("company.onsite_end", _clock(settings.onsite_end), "a time after onsite_start")
    return settings


def _policy_table(table: dict[str, Any]) -> dict[str, Any]:
    """Keys the policy leaves out take the standard policy's values, so an export states the
    whole policy; not `response_hours`/`resolution_hours` beside the policy's own `response`/
    `resolution`, which they would contradict. Other keys are kept as they are, so a
    provider's extensions survive a round trip."""
    result = copy.deepcopy(table)
    for key, default in sla.STANDARD_TABLE.items():
        own_form = key.removesuffix("_hours") if key.endswith("_hours") else None
        if key not in table and own_form not in table:
            result[key] = copy.deepcopy(default)
    return result


def _read_sla(path: Path, problems: list[Problem]) -> list[SlaPolicy] | None:
    """None when sla.toml is unreadable, so references to its policies are not checked.
    The standard policy always exists: contracts and tickets fall back to it. Every
    policy is checked by `sla.policy_problems`, the one definition of a valid policy."""
    policies = {DEFAULT_POLICY: SlaPolicy(DEFAULT_POLICY, copy.deepcopy(dict(sla.STANDARD_TABLE)))}
    before = len(problems)
    doc = _load_toml(path, problems) or {}
    if len(problems) > before:
        return None
    toml = TomlReader(SLA, problems)
    toml.warn_unknown(doc, "", ("policy",))
    for name, table in toml.table(doc, "policy").items():
        if isinstance(table, dict):
            policies[name] = SlaPolicy(name, _policy_table(table))
        else:
            toml.fail(f"policy.{name}", table, f"a table [policy.{name}]")
    problems.extend(sla.policy_problems(policies.values()))
    return [policies[name] for name in sorted(policies)]


def _usable_policies(policies: list[SlaPolicy] | None) -> dict[str, sla.Policy]:
    """The policies without errors (those with errors are already reported), by name."""
    usable: dict[str, sla.Policy] = {}
    for policy in policies or ():
        try:
            usable[policy.name] = sla.parse_policy(policy)
        except InputError:
            continue
    return usable


# --------------------------------------------------------------------------- cross-row rules


@dataclass(slots=True)
class Book:
    """Everything read, as text and as objects, for the rules that look across rows and files."""

    tables: dict[str, Table]
    windows: Rows[Window]
    schools: Rows[School]
    technicians: Rows[Technician]
    contracts: Rows[Contract]
    term_dates: Rows[TermBlock]
    closures: Rows[Closure]
    leave: Rows[Leave]
    history: Rows[HistoryVisit]
    tickets: Rows[Ticket]
    travel: Rows[TravelTime]
    policies: list[SlaPolicy] | None
    usable_policies: dict[str, sla.Policy]
    """The policies that parse, by name: those that time tickets."""

    def ids(self, file: str, column: str) -> set[str] | None:
        """Every value of a column, bad rows included; None when the file or column is
        missing (already an error), so references to it are not reported again."""
        table = self.tables[file]
        if column not in table.cells:
            return None
        return set(table.cells[column]) - {""}

    def windows_by_family(self) -> dict[str, set[str]]:
        """From the text of windows.csv, so one bad window row does not hide its name."""
        table = self.tables[WINDOWS]
        pairs = (
            [(family, name) for _, family, name in table.records("family", "window")]
            if table.cells
            else [(w.family, w.name) for w in DEFAULT_WINDOWS]
        )
        families: dict[str, set[str]] = {}
        for family, name in pairs:
            if family and name:
                families.setdefault(family, set()).add(name)
        return families


Rule = Callable[[Book], Iterable[Problem]]


def ids_are_unique(book: Book) -> Iterator[Problem]:
    """A repeated id (or window in its family, or travel pair) is named on its later row."""
    keys = [
        (SCHOOLS, "", "school_id"),
        (TECHNICIANS, "", "technician_id"),
        (CONTRACTS, "", "contract_id"),
        (VISITS, "", "visit_id"),
        (TICKETS, "", "ticket_id"),
        (WINDOWS, "family", "window"),
        (TRAVEL, "from_id", "to_id"),
    ]
    for file, scope, column in keys:
        table = book.tables[file]
        scopes = table.column(scope) if scope else ["-"] * len(table.numbers)
        pairs = list(zip(scopes, table.column(column), strict=True))
        if len(set(pairs)) == len(pairs):
            continue
        seen: dict[tuple[str, str], int] = {}
        within = f" for that {scope}" if scope else ""
        for number, pair in zip(table.numbers, pairs, strict=True):
            if not all(pair):
                continue
            if pair in seen:
                expected = f"a unique {column}{within} (already on row {seen[pair]})"
                yield Problem(file, number, column, pair[1], expected)
            else:
                seen[pair] = number


def _target_text(name: str, known: set[str]) -> str:
    listed = f" ({', '.join(sorted(known))})" if 0 < len(known) <= 8 else ""
    return name + listed


def references_exist(book: Book) -> Iterator[Problem]:
    """Checked on the text of every row, so a row with another bad cell is still checked."""
    schools = book.ids(SCHOOLS, "school_id")
    technicians = book.ids(TECHNICIANS, "technician_id")
    families = book.windows_by_family()
    window_names = set().union(*families.values())
    places = None if schools is None or technicians is None else schools | technicians
    policies = None if book.policies is None else {p.name for p in book.policies}
    references = [
        (SCHOOLS, "term_calendar", book.ids(TERM_DATES, "term_calendar"),
         "a term_calendar of term_dates.csv"),
        (SCHOOLS, "preferred_window", window_names, "a window of windows.csv"),
        (CONTRACTS, "school_id", schools, "a school_id of schools.csv"),
        (CONTRACTS, "dedicated_technician_id", technicians, "a technician_id of technicians.csv"),
        (CONTRACTS, "window_family", set(families), "a family of windows.csv"),
        (CONTRACTS, "sla_policy", policies, "a policy of sla.toml"),
        (CLOSURES, "school_id", schools, "a school_id of schools.csv"),
        (LEAVE, "technician_id", technicians, "a technician_id of technicians.csv"),
        (VISITS, "contract_id", book.ids(CONTRACTS, "contract_id"),
         "a contract_id of contracts.csv"),
        (VISITS, "technician_id", technicians, "a technician_id of technicians.csv"),
        (TICKETS, "school_id", schools, "a school_id of schools.csv"),
        (TRAVEL, "from_id", places, "a school_id or technician_id"),
        (TRAVEL, "to_id", places, "a school_id or technician_id"),
    ]  # fmt: skip
    for file, column, known, expected in references:
        table = book.tables[file]
        if known is None or not set(table.column(column)) - known - {""}:
            continue
        for number, value in table.values(column):
            if value not in known:
                yield Problem(file, number, column, value, _target_text(expected, known))


def technician_ids_differ_from_school_ids(book: Book) -> Iterator[Problem]:
    """travel.csv mixes both kinds of id, so one id naming both would be ambiguous."""
    schools = book.ids(SCHOOLS, "school_id") or set()
    for number, value in book.tables[TECHNICIANS].values("technician_id"):
        if value in schools:
            yield Problem(TECHNICIANS, number, "technician_id", value, "an id no school uses")


def scheduled_contracts_have_terms(book: Book) -> Iterator[Problem]:
    """A scheduled package buys visits on a cadence in a window family: all three must be
    stated, since defaults (0 visits, no cadence) would silently plan nothing."""
    columns = ("package", "visits", "cadence", "window_family")
    for number, package, visits, cadence, family in book.tables[CONTRACTS].records(*columns):
        if package not in SCHEDULED_PACKAGES:
            continue
        if not visits or (_INT_RE.fullmatch(visits) and int(visits) == 0):
            yield Problem(CONTRACTS, number, "visits", visits, "at least 1 for a scheduled package")
        if cadence in ("", Cadence.NONE):
            yield Problem(
                CONTRACTS, number, "cadence", cadence,
                "weekly, fortnightly or monthly for a scheduled package",
            )  # fmt: skip
        if not family:
            yield Problem(
                CONTRACTS, number, "window_family", "", "a window family for a scheduled package"
            )


def unscheduled_contracts_buy_no_visits(book: Book) -> Iterator[Problem]:
    for number, contract in book.contracts:
        if not contract.is_scheduled and contract.visits != 0:
            yield Problem(
                CONTRACTS, number, "visits", str(contract.visits),
                f"0 for a {contract.package.value} contract",
            )  # fmt: skip


def dedicated_technician_only_for_full_managed(book: Book) -> Iterator[Problem]:
    columns = ("package", "dedicated_technician_id")
    for number, package, dedicated in book.tables[CONTRACTS].records(*columns):
        if package == Package.FULL_MANAGED and not dedicated:
            yield Problem(
                CONTRACTS, number, "dedicated_technician_id", "",
                "a technician_id for a full_managed contract",
            )  # fmt: skip
        elif package and package != Package.FULL_MANAGED and dedicated:
            yield Problem(
                CONTRACTS, number, "dedicated_technician_id", dedicated,
                "empty: only a full_managed contract has a dedicated technician",
            )  # fmt: skip


class _Span(Protocol):
    @property
    def first_day(self) -> date: ...
    @property
    def last_day(self) -> date: ...


def date_ranges_are_ordered(book: Book) -> Iterator[Problem]:
    spans: list[tuple[str, Iterable[tuple[int, _Span]]]] = [
        (TERM_DATES, book.term_dates), (CLOSURES, book.closures), (LEAVE, book.leave)
    ]  # fmt: skip
    for file, rows in spans:
        for number, span in rows:
            if span.first_day > span.last_day:
                yield Problem(
                    file, number, "last_day", _day(span.last_day),
                    f"a date on or after first_day {_day(span.first_day)}",
                )  # fmt: skip


def windows_are_well_formed(book: Book) -> Iterator[Problem]:
    """DAY is reserved for the whole-day rows of full_managed contracts."""
    for number, window in book.windows:
        if window.start >= window.end:
            yield Problem(
                WINDOWS, number, "end", _clock(window.end), f"a time after {_clock(window.start)}"
            )
        if window.name == DAY_WINDOW:
            yield Problem(WINDOWS, number, "window", window.name, f"a name other than {DAY_WINDOW}")


def _period(contract: Contract) -> tuple[date, date] | None:
    """None when the period would end after 9999-12-31, where date arithmetic fails."""
    try:
        return contract.start_date, contract.end_date
    except OverflowError:
        return None


def contract_periods_end_on_a_real_date(book: Book) -> Iterator[Problem]:
    """Every later layer asks for a contract's end date, so it must exist."""
    for number, contract in book.contracts:
        if _period(contract) is None:
            yield Problem(
                CONTRACTS, number, "period_weeks", str(contract.period_weeks),
                f"a period from {_day(contract.start_date)} that ends by 9999-12-31",
            )  # fmt: skip


def history_inside_contract_period(book: Book) -> Iterator[Problem]:
    periods = {c.contract_id: _period(c) for _, c in book.contracts}
    for number, visit in book.history:
        period = periods.get(visit.contract_id)
        if period and not period[0] <= visit.date <= period[1]:
            yield Problem(
                VISITS, number, "date", _day(visit.date),
                f"a date in {visit.contract_id}'s period {_day(period[0])}..{_day(period[1])}",
            )  # fmt: skip


def history_window_of_contract_family(book: Book) -> Iterator[Problem]:
    """A full_managed contract's whole-day visits are recorded with window DAY."""
    names = book.windows_by_family()
    allowed: dict[str, tuple[str, set[str]]] = {}
    for _, contract in book.contracts:
        family = contract.window_family
        if family in names:  # an unknown family is reported once, on the contract
            whole_day = {DAY_WINDOW} if contract.package is Package.FULL_MANAGED else set()
            allowed[contract.contract_id] = (family, names[family] | whole_day)
    for number, visit in book.history:
        family, windows = allowed.get(visit.contract_id, ("", {visit.window}))
        if visit.window not in windows:
            yield Problem(
                VISITS, number, "window", visit.window,
                _target_text(f"a window of family {family}", windows),
            )  # fmt: skip


def history_within_entitlement(book: Book) -> Iterator[Problem]:
    """Only scheduled packages have bought visits to exceed (0 bought is already an error of
    contracts.csv); the row named is the first consuming row, in file order, beyond them."""
    bought = {c.contract_id: c.visits for _, c in book.contracts if c.is_scheduled and c.visits}
    used: Counter[str] = Counter()
    for number, visit in book.history:
        if visit.contract_id not in bought or visit.status not in CONSUMING_STATUSES:
            continue
        used[visit.contract_id] += 1
        if used[visit.contract_id] == bought[visit.contract_id] + 1:
            yield Problem(
                VISITS, number, "status", visit.status.value,
                f"at most {bought[visit.contract_id]} consuming visits for "
                f"{visit.contract_id} (delivered, emergency, remote_in_lieu, cancelled_by_school)",
            )  # fmt: skip


def ticket_times_follow_opening(book: Book) -> Iterator[Problem]:
    for number, ticket in book.tickets:
        for column, moment in (("responded_at", ticket.responded_at),
                               ("resolved_at", ticket.resolved_at)):  # fmt: skip
            if moment is not None and moment < ticket.opened_at:
                yield Problem(
                    TICKETS, number, column, _moment(moment),
                    f"a time at or after opened_at {_moment(ticket.opened_at)}",
                )  # fmt: skip


def pauses_end_after_start(book: Book) -> Iterator[Problem]:
    for number, ticket in book.tickets:
        for pause in ticket.pauses:
            if pause[1] < pause[0]:
                yield Problem(TICKETS, number, "pauses", _pause_text(pause), "END not before START")


def pauses_inside_ticket_life(book: Book) -> Iterator[Problem]:
    """The clock can only stop while the ticket is open."""
    for number, ticket in book.tickets:
        for pause in ticket.pauses:
            if pause[0] < ticket.opened_at:
                yield Problem(
                    TICKETS, number, "pauses", _pause_text(pause),
                    f"a pause starting at or after opened_at {_moment(ticket.opened_at)}",
                )  # fmt: skip
            elif ticket.resolved_at is not None and pause[1] > ticket.resolved_at:
                yield Problem(
                    TICKETS, number, "pauses", _pause_text(pause),
                    f"a pause ending at or before resolved_at {_moment(ticket.resolved_at)}",
                )  # fmt: skip


def pauses_do_not_overlap(book: Book) -> Iterator[Problem]:
    """Pauses come sorted by start; overlapping ones would stop the clock twice."""
    for number, ticket in book.tickets:
        for earlier, later in zip(ticket.pauses, ticket.pauses[1:], strict=False):
            if later[0] < earlier[1]:
                yield Problem(
                    TICKETS, number, "pauses", _pause_text(later),
                    f"a pause starting at or after the previous one ends ({_pause_text(earlier)})",
                )  # fmt: skip


class _GoverningPolicies:
    """The policy timing each ticket, as the SLA report finds it (`sla.governing_contract`):
    None where it cannot be told because that is already an error (an unknown school, a
    contract row, period or policy in error, sla.toml unreadable), so it is not reported
    twice."""

    def __init__(self, book: Book) -> None:
        self.usable = book.usable_policies
        self.readable = book.policies is not None
        self.schools = book.ids(SCHOOLS, "school_id")
        good = {number for number, _ in book.contracts}
        self.broken = {
            school
            for number, school in book.tables[CONTRACTS].records("school_id")
            if number not in good
        } | {contract.school_id for _, contract in book.contracts if _period(contract) is None}
        self.contracts: dict[str, list[Contract]] = {}
        for _, contract in book.contracts:
            self.contracts.setdefault(contract.school_id, []).append(contract)
        self.single: dict[str, str] = {}
        """A school whose contracts all name one policy needs no governing contract."""
        for school, contracts in self.contracts.items():
            names = {contract.sla_policy for contract in contracts}
            if len(names) == 1:
                self.single[school] = names.pop()

    def of(self, ticket: Ticket) -> sla.Policy | None:
        school = ticket.school_id
        if not self.readable or school in self.broken:
            return None
        if self.schools is not None and school not in self.schools:
            return None
        name = self.single.get(school)
        if name is None:
            governing = sla.governing_contract(ticket.opened_at, self.contracts.get(school, ()))
            name = DEFAULT_POLICY if governing is None else governing.sla_policy
        return self.usable.get(name)


def _missing_priority_columns(table: Table) -> bool:
    return (
        bool(table.cells)
        and "priority" not in table.cells
        and not (IMPACT in table.cells and URGENCY in table.cells)
    )


def _settle_priorities(book: Book, problems: list[Problem]) -> Rows[Ticket]:
    """Each ticket's priority as its governing policy knows it: a given `priority` must be
    one of the policy's (its labels or the spec's names of their ranks); an empty one is
    derived from `impact` and `urgency` through the policy's matrix."""
    table = book.tables[TICKETS]
    if _missing_priority_columns(table):
        expected = "a column priority (required), or columns impact and urgency"
        problems.append(Problem(TICKETS, None, "priority", "", expected))
        return book.tickets
    policies = _GoverningPolicies(book)
    matrix_cells: dict[int, tuple[str, str]] | None = None
    settled: Rows[Ticket] = []
    for number, ticket in book.tickets:
        policy = policies.of(ticket)
        if ticket.priority:
            if policy is not None and ticket.priority not in policy.ranks:
                expected = policy.expected_priority()
                problems.append(Problem(TICKETS, number, "priority", ticket.priority, expected))
        else:
            if matrix_cells is None:
                records = table.records(IMPACT, URGENCY)
                matrix_cells = {n: (impact, urgency) for n, impact, urgency in records}
            impact, urgency = matrix_cells.get(number, ("", ""))
            found = _derived_priority(number, impact, urgency, policy, problems)
            if found is not None:
                ticket = replace(ticket, priority=found)
        settled.append((number, ticket))
    return settled


def _derived_priority(
    number: int, impact: str, urgency: str, policy: sla.Policy | None, problems: list[Problem]
) -> str | None:
    """The label `policy.priority_for(impact, urgency)` gives a ticket with an empty
    priority; None, with the reason reported, when it gives none. Without the policy (None:
    already an error elsewhere) only empty cells are reported."""

    def refuse(column: str, value: str, expected: str) -> None:
        problems.append(Problem(TICKETS, number, column, value, expected))

    if policy is not None and not policy.matrix:
        why = f": policy {policy.name} has no impact x urgency matrix" if impact or urgency else ""
        refuse("priority", "", f"{policy.expected_priority()} (required{why})")
        return None
    if not (impact or urgency):
        what = "a priority" if policy is None else policy.expected_priority()
        refuse("priority", "", f"{what}, or impact and urgency (required)")
        return None
    rows = {} if policy is None else _matrix_rows(policy)
    if not impact or (policy is not None and impact not in rows):
        expected = _from_matrix("an impact", policy, rows)
        refuse(IMPACT, impact, expected if impact else f"{expected} (required with urgency)")
    urgencies = rows.get(impact) or dict.fromkeys(u for row in rows.values() for u in row)
    if not urgency or (policy is not None and impact in rows and urgency not in urgencies):
        what = f"an urgency for impact {impact}" if impact in rows else "an urgency"
        expected = _from_matrix(what, policy, urgencies)
        refuse(URGENCY, urgency, expected if urgency else f"{expected} (required with impact)")
    if policy is None or (impact, urgency) not in policy.matrix:
        return None
    return policy.priority_for(impact, urgency)


def _matrix_rows(policy: sla.Policy) -> dict[str, dict[str, str]]:
    """impact -> urgency -> label, in sla.toml's order."""
    rows: dict[str, dict[str, str]] = {}
    for (impact, urgency), label in policy.matrix.items():
        rows.setdefault(impact, {})[urgency] = label
    return rows


def _from_matrix(what: str, policy: sla.Policy | None, names: Iterable[str]) -> str:
    if policy is None:
        return what
    return f"{what} of policy {policy.name}'s matrix: {', '.join(names)}"


RULES: tuple[Rule, ...] = (
    ids_are_unique,
    references_exist,
    technician_ids_differ_from_school_ids,
    scheduled_contracts_have_terms,
    unscheduled_contracts_buy_no_visits,
    dedicated_technician_only_for_full_managed,
    contract_periods_end_on_a_real_date,
    date_ranges_are_ordered,
    windows_are_well_formed,
    history_inside_contract_period,
    history_window_of_contract_family,
    history_within_entitlement,
    ticket_times_follow_opening,
    pauses_end_after_start,
    pauses_inside_ticket_life,
    pauses_do_not_overlap,
)


# --------------------------------------------------------------------------- public API


def read_scenario(folder: Path) -> tuple[Scenario, list[Problem]]:
    """Reads and validates a scenario folder; returns it with its warnings.

    Raises InputError carrying every error (and the warnings) found anywhere in the folder.
    Lists come sorted by the writer's keys, so a round trip gives an equal Scenario.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, str(folder), "a scenario folder")])
    problems: list[Problem] = []
    settings = _read_settings(folder / SETTINGS, problems)
    policies = _read_sla(folder / SLA, problems)
    tables = {sheet.file: _load_table(folder, sheet, problems) for sheet in SHEETS}
    parsed: dict[str, Rows[Any]] = {
        sheet.attr: _parse_sheet(sheet, tables[sheet.file], problems) for sheet in SHEETS
    }
    parsed["history"] = _name_unnamed_visits(parsed["history"])
    usable = _usable_policies(policies)
    book = Book(tables=tables, policies=policies, usable_policies=usable, **parsed)
    parsed["tickets"] = book.tickets = _settle_priorities(book, problems)
    for rule in RULES:
        problems.extend(rule(book))
    problems.sort(key=lambda p: (FILE_ORDER.get(p.file, -1), p.row or 0, p.column or ""))
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    items = {attr: [item for _, item in rows] for attr, rows in parsed.items()}
    if not tables[WINDOWS].cells:
        items["windows"] = list(DEFAULT_WINDOWS)
    lists = {sheet.attr: sorted(items[sheet.attr], key=sheet.key) for sheet in SHEETS}
    scenario = Scenario(**lists, sla_policies=policies or [], settings=settings)
    return scenario, problems


def _write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


_PRIORITY_RANK = {p.value: i for i, p in enumerate(Priority)}


def _sorted_keys(value: Any) -> Any:
    """TOML tables with keys in a fixed order at every depth, for a deterministic file;
    priorities keep their natural order (urgent first) for the person reading it."""
    if isinstance(value, dict):
        order = sorted(value, key=lambda k: (_PRIORITY_RANK.get(k, len(_PRIORITY_RANK)), k))
        return {key: _sorted_keys(value[key]) for key in order}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def _settings_document(settings: Settings) -> dict[str, Any]:
    company: dict[str, Any] = {"name": settings.provider_name} if settings.provider_name else {}
    company |= {
        "shutdown": [[_day(first), _day(last)] for first, last in sorted(settings.shutdown)],
        "onsite_start": _clock(settings.onsite_start),
        "onsite_end": _clock(settings.onsite_end),
    }
    doc: dict[str, Any] = {
        "company": company,
        "travel": {
            "speed_kmh": float(settings.speed_kmh),
            "detour_factor": float(settings.detour_factor),
            "max_commute_minutes": settings.max_commute_minutes,
        },
    }
    if settings.objective:
        doc["objective"] = {k: float(v) for k, v in sorted(settings.objective.items())}
    return doc


def _sla_document(policies: list[SlaPolicy]) -> dict[str, Any]:
    """The standard policy is always written, as the reader always supplies it."""
    tables = {DEFAULT_POLICY: dict(sla.STANDARD_TABLE)} | {p.name: p.table for p in policies}
    return {"policy": _sorted_keys(tables)}


def write_scenario(scenario: Scenario, folder: Path) -> None:
    """Writes every file of the format, optional ones included, deterministically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for sheet in SHEETS:
        rows = sorted(
            (sheet.key(item), sheet.cells(item)) for item in getattr(scenario, sheet.attr)
        )
        _write_csv(folder / sheet.file, sheet.columns, (cells for _, cells in rows))
    for name, doc in ((SETTINGS, _settings_document(scenario.settings)),
                      (SLA, _sla_document(scenario.sla_policies))):  # fmt: skip
        (folder / name).write_bytes(tomli_w.dumps(doc).encode("utf-8"))

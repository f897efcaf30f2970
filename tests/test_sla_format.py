"""The scenario format's SLA extensions: policies checked by `scheduler.sla`, tickets with a
policy's own priority labels, and `impact` x `urgency` instead of `priority`.

The scenario is tiny with data/sla/impact-urgency.toml as its sla.toml: S1 (C1) and S2 (C2)
are under `impact_urgency` (P1-P4, a matrix, resolution in working days), S4 under
`standard`. Refusals of single cells are in tests/malformed_cases.py.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
import tomllib
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from scheduler.domain import LONDON, Scenario
from scheduler.errors import InputError, Problem
from scheduler.scenario import read_scenario, write_scenario
from scheduler.services.sla_report import timed_tickets
from tests.malformed_cases import TINY, drop_column, replace_text, set_cell

SLA_DATA = Path(__file__).resolve().parents[1] / "data" / "sla"
TICKETS = """\
ticket_id,school_id,priority,opened_at,responded_at,resolved_at,pauses,emergency,impact,urgency
K1,S1,,2026-11-27T16:00,2026-11-30T08:20,2026-11-30T15:00,,false,high,medium
K2,S2,P4,2026-11-23T09:00,2026-11-23T10:00,2026-11-26T12:00,2026-11-23T11:00/2026-11-24T11:00,,low,high
K3,S4,high,2026-12-18T15:00,,,,,,
K4,S1,urgent,2026-09-17T09:10,2026-09-17T09:40,2026-09-17T13:00,,true,,
K5,S2,,2026-11-24T10:00,,,,false,low,high
K6,S2,P1,2026-11-25T10:00,,,,false,n/a,
"""
"""K1 and K5 by the matrix (P2, P3); K2 and K6 give a priority, which wins over their impact and
urgency (not even checked then); K3 is standard's `high`; K4 says `urgent`, P1's spec name."""
LABELS = {"K1": "P2", "K2": "P4", "K3": "high", "K4": "urgent", "K5": "P3", "K6": "P1"}


def _itil_folder(tmp_path: Path, tickets: str = TICKETS) -> Path:
    folder = Path(tempfile.mkdtemp(dir=tmp_path)) / "itil"
    shutil.copytree(TINY, folder)
    shutil.copy(SLA_DATA / "impact-urgency.toml", folder / "sla.toml")
    set_cell("contracts.csv", 2, "sla_policy", "impact_urgency")(folder)
    set_cell("contracts.csv", 3, "sla_policy", "impact_urgency")(folder)  # gold is gone
    (folder / "tickets.csv").write_text(tickets, encoding="utf-8")
    return folder


def _errors(folder: Path) -> list[Problem]:
    with pytest.raises(InputError) as refused:
        read_scenario(folder)
    return refused.value.problems


def _same_files(left: Path, right: Path) -> bool:
    names = sorted(p.name for p in left.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(left, right, names, shallow=False)
    return names == sorted(p.name for p in right.iterdir()) and not mismatch and not errors


@pytest.fixture
def itil(tmp_path: Path) -> Scenario:
    scenario, warnings = read_scenario(_itil_folder(tmp_path))
    assert warnings == []
    return scenario


def test_own_labels_and_impact_urgency_import_cleanly(itil: Scenario) -> None:
    assert {t.ticket_id: t.priority for t in itil.tickets} == LABELS
    assert [p.name for p in itil.sla_policies] == ["impact_urgency", "standard"]


def test_the_derived_priorities_time_the_tickets(itil: Scenario) -> None:
    frame = timed_tickets(itil, datetime(2027, 1, 31, tzinfo=LONDON)).set_index("ticket_id")
    assert frame["label"].to_dict() == {
        "K1": "P2", "K2": "P4", "K3": "high", "K4": "P1", "K5": "P3", "K6": "P1",
    }  # fmt: skip
    assert set(frame.loc[["K1", "K2", "K4", "K5", "K6"], "policy"]) == {"impact_urgency"}
    assert frame.loc["K3", "policy"] == "standard"
    k1 = frame.loc["K1"]  # P2: 2 working hours and 2 working days from Friday 16:00
    assert k1["response_due"] == pd.Timestamp("2026-11-30T08:30", tz=LONDON.key)
    assert k1["resolution_due"] == pd.Timestamp("2026-12-01T16:00", tz=LONDON.key)
    assert (k1["response_met"], k1["resolution_met"]) == (True, True)


def test_round_trip_writes_the_derived_priority_byte_identically(
    itil: Scenario, tmp_path: Path
) -> None:
    """impact and urgency are not kept in the domain: an export states the priority."""
    write_scenario(itil, tmp_path / "first")
    again, warnings = read_scenario(tmp_path / "first")
    assert (again, warnings) == (itil, [])
    write_scenario(again, tmp_path / "second")
    assert _same_files(tmp_path / "first", tmp_path / "second")
    lines = (tmp_path / "first" / "tickets.csv").read_text().splitlines()
    assert (
        lines[0]
        == "ticket_id,school_id,priority,opened_at,responded_at,resolved_at,pauses,emergency"
    )
    assert [line.split(",")[2] for line in lines[1:]] == list(LABELS.values())


def test_an_export_carries_no_standard_table_beside_a_policys_own_targets(
    itil: Scenario, tmp_path: Path
) -> None:
    write_scenario(itil, tmp_path)
    policies = tomllib.loads((tmp_path / "sla.toml").read_text())["policy"]
    own = policies["impact_urgency"]
    assert not {"response_hours", "resolution_hours"} & set(own)
    assert own["response"]["P2"] == "2h" and own["matrix"]["high"]["medium"] == "P2"
    assert policies["standard"]["response_hours"]["urgent"] == 1


OWN_RESPONSE = """\
[policy.own_response]
priorities = ["P1", "P2", "P3", "P4"]
response = { P1 = "1h", P2 = "4h", P3 = "1d", P4 = "3d" }
"""


@pytest.mark.parametrize(
    ("sla_toml", "missing", "filled"),
    [
        ((SLA_DATA / "response-only.toml").read_text(), {"response_hours", "resolution_hours"},
         {"hours", "target"}),
        ((SLA_DATA / "follow-the-sun.toml").read_text(), {"response_hours", "resolution_hours"},
         {"hours", "target"}),
        (OWN_RESPONSE, {"response_hours"}, {"hours", "resolution_hours", "target"}),
    ],
    ids=["response-only", "follow-the-sun", "own-response"],
)  # fmt: skip
def test_left_out_keys_take_the_standard_values_except_beside_own_targets(
    sla_toml: str, missing: set[str], filled: set[str], tmp_path: Path
) -> None:
    folder = _itil_folder(tmp_path, "ticket_id,school_id,priority,opened_at\n")
    (folder / "sla.toml").write_text(sla_toml)
    for row in (2, 3):
        set_cell("contracts.csv", row, "sla_policy", "")(folder)
    scenario, warnings = read_scenario(folder)
    assert warnings == []
    [table] = [p.table for p in scenario.sla_policies if p.name != "standard"]
    assert not missing & set(table) and filled <= set(table)


def test_the_priority_column_may_be_left_out_for_impact_and_urgency(tmp_path: Path) -> None:
    rows = [
        line for line in TICKETS.splitlines() if line.split(",")[0] in ("ticket_id", "K1", "K5")
    ]
    folder = _itil_folder(tmp_path, "\n".join(rows) + "\n")
    drop_column("tickets.csv", "priority")(folder)
    scenario, warnings = read_scenario(folder)
    assert warnings == []
    assert {t.ticket_id: t.priority for t in scenario.tickets} == {"K1": "P2", "K5": "P3"}


def test_refusals_name_the_value_and_what_the_policy_expects(tmp_path: Path) -> None:
    tickets = TICKETS.replace("K1,S1,,", "K1,S1,Sev2,").replace(",low,high\nK6", ",low,soon\nK6")
    problems = {(p.row, p.column): p for p in _errors(_itil_folder(tmp_path, tickets))}
    assert set(problems) == {(2, "priority"), (6, "urgency")}
    label = problems[(2, "priority")]
    assert (label.file, label.value) == ("tickets.csv", "Sev2")
    assert "P1, P2, P3, P4" in label.expected and "impact_urgency" in label.expected
    urgency = problems[(6, "urgency")]
    assert urgency.value == "soon" and urgency.expected.endswith("high, medium, low")


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ('hours = "Mon-Fri 08:00-17:30"', 'hours = "Mon-Fri 08:00-17:30; Sat 09:00-24:30"',
         "policy.impact_urgency.hours"),
        ('P4 = "5d"', 'P4 = "5 days"', "policy.impact_urgency.resolution.P4"),
        ('resolution = { P1 = "1d", P2 = "2d", P3 = "3d", P4 = "5d" }',
         'resolution = { P1 = "1d", P2 = "2d", P3 = "3d" }', "policy.impact_urgency.resolution"),
        ('low = { high = "P3"', 'low = { high = "P5"', "policy.impact_urgency.matrix.low.high"),
        ("target = 0.95", 'target = 0.95\ntimezone = "Europe/Londres"',
         "policy.impact_urgency.timezone"),
    ],
)  # fmt: skip
def test_policies_are_checked_by_the_sla_module(
    old: str, new: str, column: str, tmp_path: Path
) -> None:
    folder = _itil_folder(tmp_path)
    replace_text("sla.toml", old, new)(folder)
    problems = _errors(folder)
    assert [(p.file, p.row, p.column) for p in problems] == [("sla.toml", None, column)]


def test_an_unknown_policy_key_is_a_warning(itil: Scenario, tmp_path: Path) -> None:
    folder = _itil_folder(tmp_path)
    replace_text("sla.toml", "target = 0.95", "target = 0.95\nescalation = true")(folder)
    scenario, warnings = read_scenario(folder)
    assert [(w.severity, w.column) for w in warnings] == [
        ("warning", "policy.impact_urgency.escalation")
    ]
    assert scenario.tickets == itil.tickets

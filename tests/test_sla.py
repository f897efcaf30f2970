"""The SLA clock: worked cases in tables, a minute-by-minute reference, policies, sla.csv.

Deadlines in the tables were worked out by hand from the policies in data/sla/ and the
`holidays` calendars (St Andrew's Day 2026-11-30 is a Monday; Easter Monday 2027-03-29
is a holiday in England, not in Scotland; 2027-01-04 is a Scottish holiday).
"""

from __future__ import annotations

import shutil
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.calendar import public_holidays
from scheduler.cli import main
from scheduler.domain import (
    LONDON,
    Cadence,
    Contract,
    Nation,
    Package,
    Scenario,
    School,
    Settings,
    SlaPolicy,
    Ticket,
)
from scheduler.errors import InputError
from scheduler.scenario import read_scenario
from scheduler.services.dataset import open_database
from scheduler.services.sla_report import (
    SLA_COLUMNS,
    compliance,
    emergency_arrivals,
    sla_csv_text,
    sla_rows,
    write_sla_csv,
)
from scheduler.sla import (
    Policy,
    Target,
    Unit,
    WorkingTime,
    WorkingTimes,
    governing_contract,
    known_at,
    met,
    parse_hours,
    parse_policies,
    parse_policy,
    policy_problems,
    time_ticket,
)
from tests.support import EXAMPLE

ROOT = Path(__file__).resolve().parents[1]
SHUTDOWN = ((date(2026, 12, 21), date(2027, 1, 1)),)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def _shipped_policies() -> dict[str, Policy]:
    tables = []
    for path in sorted((ROOT / "data" / "sla").glob("*.toml")):
        for name, table in tomllib.loads(path.read_text())["policy"].items():
            tables.append(SlaPolicy(name, table))
    return parse_policies(tables)


POLICIES = _shipped_policies()


def _minute(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def due(
    policy: str, priority: str, nation: str, opened: str, pauses: tuple[str, ...] = ()
) -> tuple[str | None, str | None]:
    """Response and resolution deadlines as `YYYY-MM-DDTHH:MM` London times."""
    chosen = POLICIES[policy]
    level = chosen.level(priority)
    working = WorkingTimes(SHUTDOWN).of(chosen, level, Nation(nation))
    spans = tuple((at(p.split("/")[0]), at(p.split("/")[1])) for p in pauses)
    ticket = Ticket("K", "S", priority, at(opened), pauses=spans)
    timing = time_ticket(ticket, level, working, at("2030-01-01T00:00"))
    return _minute(timing.response_due), _minute(timing.resolution_due)


WORKED_CASES = [
    # policy, priority, nation, opened, pauses, response due, resolution due
    pytest.param("standard", "urgent", "ENG", "2026-11-27T16:00", (),
                 "2026-11-30T08:30", "2026-11-30T15:30", id="sla-own-example-friday-16:00"),
    pytest.param("standard", "urgent", "ENG", "2026-11-27T15:30", (),
                 "2026-11-27T16:30", "2026-11-30T15:00", id="due-at-span-end-is-16:30"),
    pytest.param("standard", "urgent", "SCT", "2026-11-27T16:00", (),
                 "2026-12-01T08:30", "2026-12-01T15:30", id="scotland-skips-st-andrews-day"),
    pytest.param("standard", "urgent", "SCT", "2026-11-30T09:00", (),
                 "2026-12-01T09:00", "2026-12-01T16:00", id="scotland-logged-on-st-andrews-day"),
    pytest.param("standard", "urgent", "ENG", "2026-11-30T09:00", (),
                 "2026-11-30T10:00", "2026-12-01T08:30", id="england-works-st-andrews-day"),
    pytest.param("standard", "high", "ENG", "2026-12-18T15:00", (),
                 "2027-01-04T08:30", "2027-01-05T14:00", id="england-across-christmas-shutdown"),
    pytest.param("standard", "high", "SCT", "2026-12-18T15:00", (),
                 "2027-01-05T08:30", "2027-01-06T14:00", id="scotland-shutdown-then-4-jan"),
    pytest.param("standard", "urgent", "ENG", "2027-03-25T16:00", (),
                 "2027-03-30T08:30", "2027-03-30T15:30", id="easter-england-skips-monday"),
    pytest.param("standard", "urgent", "SCT", "2027-03-25T16:00", (),
                 "2027-03-29T08:30", "2027-03-29T15:30", id="easter-scotland-works-monday"),
    pytest.param("standard", "low", "ENG", "2026-11-23T09:00", (),
                 "2026-11-24T08:30", "2026-12-04T12:30", id="low-without-pause"),
    pytest.param("standard", "low", "ENG", "2026-11-23T09:00",
                 ("2026-11-23T11:00/2026-11-24T11:00",),
                 "2026-11-25T08:30", "2026-12-07T12:30", id="pause-spanning-a-night"),
    pytest.param("standard", "medium", "ENG", "2026-11-23T09:00",
                 ("2026-11-23T10:00/2026-11-23T11:00", "2026-11-23T10:30/2026-11-23T12:00"),
                 "2026-11-23T15:00", "2026-11-30T08:30", id="overlapping-pauses-count-once"),
    pytest.param("response_only", "urgent", "ENG", "2026-11-24T11:30", (),
                 "2026-11-24T14:30", None, id="split-hours-skip-lunch"),
    pytest.param("response_only", "urgent", "ENG", "2026-11-24T10:30", (),
                 "2026-11-24T12:30", None, id="split-hours-due-at-morning-span-end"),
    pytest.param("response_only", "medium", "ENG", "2026-11-23T08:30", (),
                 "2026-11-24T14:00", None, id="split-hours-over-a-night"),
    pytest.param("response_only", "low", "ENG", "2026-11-24T10:00", (),
                 "2026-11-26T10:00", None, id="two-business-days"),
    pytest.param("follow_the_sun", "Sev1", "ENG", "2026-12-25T22:00", (),
                 "2026-12-25T22:30", "2026-12-26T02:00", id="24x7-on-christmas-day"),
    pytest.param("follow_the_sun", "urgent", "ENG", "2027-03-27T23:00", (),
                 "2027-03-27T23:30", "2027-03-28T04:00", id="24x7-across-clocks-going-forward"),
    pytest.param("follow_the_sun", "Sev3", "ENG", "2026-11-23T15:00", (),
                 "2026-11-24T09:00", "2026-11-26T15:00", id="amsterdam-office-hours"),
    pytest.param("impact_urgency", "P1", "ENG", "2026-11-24T10:00", (),
                 "2026-11-24T11:00", "2026-11-25T10:00", id="one-working-day-same-time"),
    pytest.param("impact_urgency", "urgent", "ENG", "2026-11-28T10:00", (),
                 "2026-11-30T09:00", "2026-11-30T17:30", id="saturday-call-close-of-business"),
    pytest.param("impact_urgency", "P4", "ENG", "2026-12-18T10:00", (),
                 "2027-01-04T08:30", "2027-01-08T10:00", id="five-working-days-over-shutdown"),
    pytest.param("business_hours", "urgent", "WLS", "2026-08-28T16:00", (),
                 "2026-09-01T12:00", "2026-09-01T16:00", id="wales-late-summer-bank-holiday"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "priority", "nation", "opened", "pauses", "response", "resolution"), WORKED_CASES
)
def test_worked_deadlines(
    policy: str,
    priority: str,
    nation: str,
    opened: str,
    pauses: tuple[str, ...],
    response: str | None,
    resolution: str | None,
) -> None:
    assert due(policy, priority, nation, opened, pauses) == (response, resolution)


# --------------------------------------------------------------------------- a reference clock

HOURS_TEXTS = (
    "Mon-Fri 08:00-16:30",
    "Mon-Fri 08:00-12:00,13:00-17:00",
    "Mon-Fri 09:00-17:00; Sat 09:00-12:00",
    "Mon-Sun 00:00-24:00",
)


SHUTDOWN_DAYS = frozenset(
    first + timedelta(days=n) for first, last in SHUTDOWN for n in range((last - first).days + 1)
)


def _reference_due(
    hours: str, start: datetime, minutes: int, pauses: list[tuple[datetime, datetime]]
) -> datetime:
    """Minute by minute, the slow obvious way: each working, unpaused minute counts one."""
    spans = parse_hours(hours).days
    moment = start
    while True:
        local = moment.astimezone(LONDON)
        minute = local.hour * 60 + local.minute
        day = local.date()
        working = (
            day not in SHUTDOWN_DAYS
            and day not in public_holidays(Nation.ENG, day.year)
            and any(first <= minute < last for first, last in spans[day.weekday()])
            and not any(pause_start <= moment < pause_end for pause_start, pause_end in pauses)
        )
        moment += timedelta(minutes=1)
        minutes -= working
        if minutes == 0:
            return moment


@settings(max_examples=40, deadline=None)
@given(
    hours=st.sampled_from(HOURS_TEXTS),
    offset=st.integers(0, 40 * 24 * 60),
    minutes=st.integers(1, 30 * 60),
    pause=st.none() | st.tuples(st.integers(0, 3 * 24 * 60), st.integers(1, 2 * 24 * 60)),
)
def test_deadline_agrees_with_a_minute_by_minute_clock(
    hours: str, offset: int, minutes: int, pause: tuple[int, int] | None
) -> None:
    start = at("2026-12-01T00:00") + timedelta(minutes=offset)
    pauses = [] if pause is None else [
        (start + timedelta(minutes=pause[0]), start + timedelta(minutes=sum(pause)))
    ]  # fmt: skip
    clock = parse_policy(SlaPolicy("x", {"hours": hours})).levels[0].clock
    working = WorkingTime(clock, LONDON, Nation.ENG, SHUTDOWN_DAYS)
    intervals = [(int(a.timestamp()), int(b.timestamp())) for a, b in pauses]
    got = working.deadline(start, Target(minutes / 60, Unit.HOURS), intervals)
    assert got == _reference_due(hours, start, minutes, pauses)


# --------------------------------------------------------------------------- hours grammar


@pytest.mark.parametrize(
    ("text", "weekday", "spans"),
    [
        ("Mon-Fri 08:00-16:30", 4, ((480, 990),)),
        ("Mon-Fri 08:00-16:30", 5, ()),
        ("Mon-Fri 08:00-12:00,13:00-17:00", 0, ((480, 720), (780, 1020))),
        ("Mon-Fri 08:00-18:00; Sat 09:00-12:00", 5, ((540, 720),)),
        ("Mon,Wed,Fri 09:00-17:00", 1, ()),
        ("Mon-Sun 00:00-24:00", 6, ((0, 1440),)),
        ("Mon-Fri 13:00-17:00; Mon 08:00-12:00", 0, ((480, 720), (780, 1020))),
    ],
)
def test_hours_grammar(text: str, weekday: int, spans: tuple[tuple[int, int], ...]) -> None:
    assert parse_hours(text).days[weekday] == spans


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Mon-Fri",
        "Mon-Fri 8-16",
        "Mon-Fri 16:00-08:00",
        "Fri-Mon 08:00-16:00",
        "Mon-Fri 08:00-24:30",
        "Mon-Fri 08:00-25:00",
        "Xyz 08:00-16:00",
        "Mon-Fri 08:00-12:00,11:00-13:00",
        "Mon-Fri 08:00-12:00; Mon 11:00-13:00",
    ],
)
def test_hours_grammar_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hours(text)


# --------------------------------------------------------------------------- policies


def test_shipped_policies_load_through_the_scenario_reader(tmp_path: Path) -> None:
    for path in sorted((ROOT / "data" / "sla").glob("*.toml")):
        folder = tmp_path / path.stem
        shutil.copytree(EXAMPLE, folder)
        shutil.copy(path, folder / "sla.toml")
        scenario, warnings = read_scenario(folder)
        assert not warnings
        assert not policy_problems(scenario.sla_policies)
        assert set(parse_policies(scenario.sla_policies)) >= set(
            tomllib.loads(path.read_text())["policy"]
        )


def test_the_five_providers() -> None:
    assert len({p for p in POLICIES if p != "standard"}) >= 5
    itil = POLICIES["impact_urgency"]
    assert [str(level.resolution) for level in itil.levels] == [
        "1 working day", "2 working days", "3 working days", "5 working days"
    ]  # fmt: skip
    assert itil.priority_for("high", "medium") == "P2"
    assert itil.level("urgent") is itil.level("P1")
    assert all(level.resolution is None for level in POLICIES["response_only"].levels)
    sun = POLICIES["follow_the_sun"]
    assert sun.zone.key == "Europe/Amsterdam"
    assert [level.clock.exclude_holidays for level in sun.levels] == [False, False, True, True]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ({"hours": "Mon-Fri 08:00-25:00"}, "policy.p.hours"),
        ({"hours": 8}, "policy.p.hours"),
        ({"timezone": "Mars/Olympus"}, "policy.p.timezone"),
        ({"priorities": ["P1", "P1"]}, "policy.p.priorities"),
        ({"priorities": ["high", "urgent"]}, "policy.p.priorities"),
        ({"response": {"urgent": "4x", "high": 1, "medium": 1, "low": 1}},
         "policy.p.response.urgent"),
        ({"response": {"urgent": "1h"}}, "policy.p.response"),
        ({"resolution": {"urgent": 1, "high": 1, "medium": 1, "low": 1, "P9": 1}},
         "policy.p.resolution.P9"),
        ({"response_hours": {"urgent": "1h", "high": 2, "medium": 4, "low": 8}},
         "policy.p.response_hours.urgent"),
        ({"response": {"urgent": "1h", "high": "1h", "medium": "1h", "low": "1h"},
          "response_hours": {"urgent": 9, "high": 9, "medium": 9, "low": 9}},
         "policy.p.response_hours"),
        ({"clock": {"P1": {"hours": "Mon-Sun 00:00-24:00"}}}, "policy.p.clock.P1"),
        ({"clock": {"urgent": {"hours": "Mon-Sun 00:00-23:00-"}}}, "policy.p.clock.urgent.hours"),
        ({"matrix": {"high": {"high": "P7"}}}, "policy.p.matrix.high.high"),
        ({"target": 1.5}, "policy.p.target"),
        ({"exclude_holidays": "no"}, "policy.p.exclude_holidays"),
    ],
)  # fmt: skip
def test_bad_policy_names_sla_toml_and_the_key(table: dict[str, object], column: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_policy(SlaPolicy("p", table))
    assert [(p.file, p.row, p.column) for p in refused.value.problems] == [
        ("sla.toml", None, column)
    ]


def test_unknown_policy_key_is_a_warning_only() -> None:
    problems = policy_problems([SlaPolicy("p", {"resolutoin": {}})])
    assert [(p.severity, p.column) for p in problems] == [("warning", "policy.p.resolutoin")]
    parse_policy(SlaPolicy("p", {"resolutoin": {}}))


def test_standard_response_hours_filled_in_by_the_reader_give_way_to_response() -> None:
    table = {
        "response": {"urgent": "2h", "high": "6h", "medium": "12h", "low": "2d"},
        "response_hours": {"urgent": 1, "high": 2, "medium": 4, "low": 8},
    }
    policy = parse_policy(SlaPolicy("p", table))
    assert str(policy.level("low").response) == "2 working days"


# --------------------------------------------------------------------------- ticket rules


@pytest.mark.parametrize(
    ("done", "due_at", "as_of", "expected"),
    [
        ("2026-11-30T08:20", "2026-11-30T08:30", "2026-12-01T00:00", True),
        ("2026-11-30T08:30", "2026-11-30T08:30", "2026-12-01T00:00", True),
        ("2026-11-30T08:31", "2026-11-30T08:30", "2026-12-01T00:00", False),
        (None, "2026-11-30T08:30", "2026-11-30T08:30", None),
        (None, "2026-11-30T08:30", "2026-11-30T08:31", False),
        (None, None, "2026-12-01T00:00", None),
    ],
)
def test_met_is_true_false_or_undecided(
    done: str | None, due_at: str | None, as_of: str, expected: bool | None
) -> None:
    assert (
        met(done and at(done), due_at and at(due_at), at(as_of)) is expected  # type: ignore[arg-type]
    )


def test_the_hour_the_clocks_go_back_is_judged_by_real_time() -> None:
    """01:10 BST, then 01:20 GMT 70 minutes later: half an hour 24x7 in London was missed,
    though 01:20 reads earlier than the 01:40 BST deadline on the wall clock."""
    table = {
        "hours": "Mon-Sun 00:00-24:00",
        "exclude_holidays": False,
        "response": {"urgent": "0.5h", "high": "1h", "medium": "1h", "low": "1h"},
    }
    policy = parse_policy(SlaPolicy("london_24x7", table))
    level = policy.level("urgent")
    opened = datetime(2026, 10, 25, 1, 10, tzinfo=LONDON)
    answered = datetime(2026, 10, 25, 1, 20, fold=1, tzinfo=LONDON)
    ticket = Ticket("K", "S", "urgent", opened, answered)
    working = WorkingTimes(()).of(policy, level, Nation.ENG)
    timing = time_ticket(ticket, level, working, at("2026-10-26T00:00"))
    assert timing.response_due is not None
    assert timing.response_due.timestamp() == datetime(2026, 10, 25, 0, 40, tzinfo=UTC).timestamp()
    assert timing.response_met is False


def test_known_at_hides_what_happened_later() -> None:
    ticket = Ticket(
        "K", "S", "low", at("2026-11-23T09:00"), at("2026-11-23T10:00"), at("2026-11-26T12:00"),
        ((at("2026-11-23T11:00"), at("2026-11-24T11:00")),
         (at("2026-11-25T09:00"), at("2026-11-25T10:00"))),
    )  # fmt: skip
    seen = known_at(ticket, at("2026-11-24T09:00"))
    assert seen.responded_at == at("2026-11-23T10:00")
    assert seen.resolved_at is None
    assert seen.pauses == ((at("2026-11-23T11:00"), at("2026-11-24T09:00")),)
    assert known_at(ticket, at("2026-12-01T00:00")) is ticket


def test_emergency_is_exempt_from_the_clock() -> None:
    policy = POLICIES["standard"]
    level = policy.level("urgent")
    ticket = Ticket("K", "S", "urgent", at("2026-09-17T09:10"), emergency=True)
    timing = time_ticket(
        ticket, level, WorkingTimes(()).of(policy, level, Nation.ENG), at("2026-12-01T00:00")
    )
    assert (timing.response_due, timing.resolution_due, timing.response_met) == (None, None, None)


def _contract(cid: str, start: date, weeks: int, policy: str = "standard") -> Contract:
    return Contract(cid, "S", Package.SCHEDULED, start, weeks, 10, Cadence.WEEKLY, "3h",
                    sla_policy=policy)  # fmt: skip


@pytest.mark.parametrize(
    ("opened", "expected"),
    [
        ("2026-10-01T09:00", "A"),  # A runs 2026-09-01..2026-12-21
        ("2027-01-10T09:00", "B"),  # B runs 2027-01-04..; A covers nothing then
        ("2026-12-29T09:00", "B"),  # between the two: nearer B
        ("2026-08-01T09:00", "A"),  # before both: nearest A
    ],
)
def test_governing_contract(opened: str, expected: str) -> None:
    contracts = [_contract("B", date(2027, 1, 4), 20), _contract("A", date(2026, 9, 1), 16)]
    chosen = governing_contract(at(opened), contracts)
    assert chosen is not None and chosen.contract_id == expected


def test_governing_contract_none_for_a_school_without_one() -> None:
    assert governing_contract(at("2026-10-01T09:00"), []) is None


# --------------------------------------------------------------------------- sla.csv


def _book(
    *tickets: Ticket, policies: tuple[SlaPolicy, ...] = (), policy: str = "standard"
) -> Scenario:
    school = School("S", "School", 51.0, 0.1, Nation.ENG, "T")
    return Scenario(
        schools=[school],
        contracts=[_contract("C", date(2026, 9, 1), 52, policy)],
        tickets=list(tickets),
        sla_policies=list(policies),
        settings=Settings(shutdown=SHUTDOWN),
    )


EXPECTED_EXAMPLE_SLA = """\
ticket_id,school_id,priority,response_due,resolution_due,responded_at,resolved_at,response_met,resolution_met
K0001,S0001,urgent,2026-11-30T08:30,2026-11-30T15:30,2026-11-30T08:20,2026-11-30T15:00,true,true
K0002,S0003,high,2027-01-04T08:30,2027-01-05T14:00,,,false,false
K0003,S0004,low,2026-11-25T08:30,2026-12-07T12:30,2026-11-23T10:00,,true,false
K0004,S0001,urgent,,,2026-09-17T09:40,2026-09-17T13:00,,
"""


def test_example_sla_csv(db_url: str, tmp_path: Path) -> None:
    assert main(["import", str(EXAMPLE), "--db", db_url]) == 0
    out = tmp_path / "sla.csv"
    rows = write_sla_csv(open_database(db_url), at("2027-01-31T12:00"), out)
    assert out.read_text() == EXPECTED_EXAMPLE_SLA
    assert tuple(rows.columns) == SLA_COLUMNS


def test_example_sla_rows_as_of_an_earlier_moment() -> None:
    scenario, _ = read_scenario(EXAMPLE)
    text = sla_csv_text(sla_rows(scenario, at("2026-12-01T09:00")))
    assert text.splitlines()[1:] == [
        "K0001,S0001,urgent,2026-11-30T08:30,2026-11-30T15:30,2026-11-30T08:20,"
        "2026-11-30T15:00,true,true",
        "K0003,S0004,low,2026-11-25T08:30,2026-12-07T12:30,2026-11-23T10:00,,true,",
        "K0004,S0001,urgent,,,2026-09-17T09:40,2026-09-17T13:00,,",
    ]


def test_a_reply_after_as_of_is_not_yet_known() -> None:
    scenario, _ = read_scenario(EXAMPLE)
    rows = sla_rows(scenario, at("2026-11-30T08:00")).set_index("ticket_id")
    assert rows.loc["K0001", "responded_at"] is pd.NaT
    assert rows.loc["K0001", "response_met"] is pd.NA


def test_emergency_arrival_is_reported_separately() -> None:
    scenario, _ = read_scenario(EXAMPLE)
    arrivals = emergency_arrivals(scenario, [], at("2026-12-01T09:00"))
    assert arrivals.to_dict("records") == [
        {
            "ticket_id": "K0004",
            "school_id": "S0001",
            "priority": "urgent",
            "opened_at": at("2026-09-17T09:10"),
            "visit_id": "H0003",
            "visit_date": date(2026, 9, 17),
            "window": "AM",
            "on_site_by": at("2026-09-17T11:30"),
            "hours_to_site": pytest.approx(2 + 20 / 60),
        }
    ]


def test_compliance_per_policy_priority_and_month_against_target() -> None:
    tickets = [
        Ticket("K1", "S", "urgent", at("2026-11-02T09:00"), at("2026-11-02T09:30")),
        Ticket("K2", "S", "urgent", at("2026-11-03T09:00"), at("2026-11-03T11:00")),
        Ticket("K3", "S", "low", at("2026-12-01T09:00"), at("2026-12-01T10:00")),
        Ticket("K4", "S", "low", at("2026-12-02T09:00")),  # open, not yet late: undecided
    ]
    result = compliance(_book(*tickets), at("2026-12-02T10:00"))
    response = result[result.measure == "response"]
    assert response[["priority", "month", "tickets", "met", "meets_target"]].to_dict("records") == [
        {"priority": "low", "month": "2026-12", "tickets": 1, "met": 1, "meets_target": True},
        {"priority": "urgent", "month": "2026-11", "tickets": 2, "met": 1, "meets_target": False},
    ]
    assert set(result.policy) == {"standard"}
    assert (result.target == 0.95).all()


def test_compliance_by_school_uses_the_policys_own_labels() -> None:
    itil = SlaPolicy("itil", tomllib.loads((ROOT / "data/sla/impact-urgency.toml").read_text())
                     ["policy"]["impact_urgency"])  # fmt: skip
    tickets = [Ticket("K1", "S", "urgent", at("2026-11-02T09:00"), at("2026-11-02T09:30"))]
    result = compliance(_book(*tickets, policies=(itil,), policy="itil"), at("2026-12-01T00:00"),
                        by=["school_id", "priority"])  # fmt: skip
    assert list(zip(result.priority, result.measure, result.met, strict=True)) == [
        ("P1", "resolution", 0),
        ("P1", "response", 1),
    ]
    with pytest.raises(ValueError, match="cannot group by"):
        compliance(_book(), at("2026-12-01T00:00"), by=["technician"])


@pytest.mark.parametrize(
    ("ticket", "policy", "where"),
    [
        (Ticket("K1", "S", "P1", at("2026-11-02T09:00")), "standard",
         ("tickets.csv", 2, "priority")),
        (Ticket("K1", "S", "urgent", at("2026-11-02T09:00")), "platinum",
         ("contracts.csv", 2, "sla_policy")),
        (Ticket("K1", "S", "urgent", at("2026-11-02T09:00"), at("2026-11-02T08:00")), "standard",
         ("tickets.csv", 2, "responded_at")),
        (Ticket("K1", "S", "urgent", at("2026-11-02T09:00"), None, at("2026-11-01T08:00")),
         "standard", ("tickets.csv", 2, "resolved_at")),
        (Ticket("K1", "S", "urgent", at("2026-11-02T09:00"),
                pauses=((at("2026-11-02T08:00"), at("2026-11-02T10:00")),)), "standard",
         ("tickets.csv", 2, "pauses")),
        (Ticket("K1", "X", "urgent", at("2026-11-02T09:00")), "standard",
         ("tickets.csv", 2, "school_id")),
    ],
)  # fmt: skip
def test_bad_tickets_in_the_book_name_file_row_and_column(
    ticket: Ticket, policy: str, where: tuple[str, int, str]
) -> None:
    with pytest.raises(InputError) as refused:
        sla_rows(_book(ticket, policy=policy), at("2026-12-01T00:00"))
    assert [(p.file, p.row, p.column) for p in refused.value.problems] == [where]


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        ("tickets.csv", "2026-11-23T11:00/2026-11-24T11:00", "2026-11-23T08:00/2026-11-24T11:00",
         ("tickets.csv", 4, "pauses")),
        ("tickets.csv", "2026-11-27T16:00,2026-11-30T08:20,2026-11-30T15:00",
         "2026-11-27T16:00,2026-11-30T08:20,2026-11-27T15:00", ("tickets.csv", 2, "resolved_at")),
        ("tickets.csv", "K0002,S0003,high", "K0002,S0003,critical", ("tickets.csv", 3, "priority")),
        ("contracts.csv", "C0001,S0001,scheduled,46,weekly,3h,2026-08-25,46,",
         "C0001,S0001,scheduled,46,weekly,3h,2026-08-25,46,,platinum",
         ("contracts.csv", 2, "sla_policy")),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_file_row_and_column(
    file: str, old: str, new: str, where: tuple[str, int, str], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    folder = tmp_path / "scenario"
    shutil.copytree(EXAMPLE, folder)
    path = folder / file
    text = path.read_text()
    assert old in text
    if file == "contracts.csv":
        text = text.replace("dedicated_technician_id\n", "dedicated_technician_id,sla_policy\n")
    path.write_text(text.replace(old, new))
    with pytest.raises(InputError) as refused:
        read_scenario(folder)
    assert where in [(p.file, p.row, p.column) for p in refused.value.problems]
    assert main(["import", str(folder), "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"]) == 2
    assert where[2] in capsys.readouterr().err


# --------------------------------------------------------------------------- speed


def test_25000_tickets_are_all_timed() -> None:
    """A bulk book through the vectorised path; its speed is measured by `make bench`."""
    schools = [School(f"S{i}", "x", 51.0, 0.1, list(Nation)[i % 4], "T") for i in range(500)]
    start = at("2026-09-01T07:00")
    tickets = [
        Ticket(f"K{i:06d}", f"S{i % 500}", ("urgent", "high", "medium", "low")[i % 4],
               start + timedelta(minutes=97 * i % (300 * 24 * 60)),
               pauses=((start + timedelta(minutes=97 * i % (300 * 24 * 60) + 60),
                        start + timedelta(minutes=97 * i % (300 * 24 * 60) + 900)),)
               if i % 5 == 0 else ())
        for i in range(25_000)
    ]  # fmt: skip
    scenario = Scenario(schools=schools, tickets=tickets, settings=Settings(shutdown=SHUTDOWN))
    rows = sla_rows(scenario, at("2027-08-01T00:00"))
    assert len(rows) == 25_000 and rows.response_due.notna().all()

"""The solver-free validator on a hand-made book: each hard rule broken exactly once, and every
penalty term and quality metric against numbers worked out by hand.

The book: five Kent sites a few minutes apart (S2 is Northern Irish, for its bank holidays),
term in blocks with a February half-term, the Christmas shutdown inside the autumn term, and
a valid roster for the week of Mon 2027-03-08 that each test breaks in one place.
"""

from __future__ import annotations

import dataclasses
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.domain import (
    DAY_WINDOW,
    DEFAULT_WINDOWS,
    Cadence,
    Closure,
    Contract,
    Grade,
    HistoryVisit,
    Leave,
    Nation,
    Package,
    PlannedVisit,
    Scenario,
    School,
    Settings,
    Technician,
    TermBlock,
    TravelTime,
    VisitKind,
    VisitStatus,
    Window,
)
from scheduler.services.validate import (
    ROSTER_COLUMNS,
    ValidationReport,
    roster_frame,
    validate_roster,
    write_roster_csv,
)
from solver.objective import DEFAULT_WEIGHTS, TERMS


def d(text: str) -> date:
    return date.fromisoformat(text)


TERM = [
    ("2026-09-01", "2026-10-23"),
    ("2026-11-02", "2026-12-22"),
    ("2027-01-04", "2027-02-12"),
    ("2027-02-22", "2027-03-26"),
    ("2027-04-12", "2027-05-28"),
]
MON_TO_SAT = frozenset(range(6))
MON_TO_THU = frozenset(range(4))

SCHOOLS = [
    School(
        "S1", "Ashford", 51.20, 0.50, Nation.ENG, "T", preferred_weekday=1, preferred_window="AM"
    ),
    School("S2", "Lisburn", 51.20, 0.55, Nation.NIR, "T"),
    School("S3", "Charing", 51.20, 0.60, Nation.ENG, "T"),
    School("S4", "Deal", 51.25, 0.50, Nation.ENG, "T"),
    School("S5", "Egerton", 51.25, 0.55, Nation.ENG, "T"),
]
TECHNICIANS = [
    Technician("T1", "Ann", 51.20, 0.45, Grade.FIRST_LINE, frozenset({"SIMS"}), MON_TO_SAT),
    Technician("T2", "Ben", 51.22, 0.50, Grade.APPRENTICE, work_days=MON_TO_THU),
    Technician("T3", "Cat", 51.25, 0.60, Grade.SECOND_LINE),
]
CONTRACTS = [
    Contract("C1", "S1", Package.SCHEDULED, d("2026-09-01"), 46, 46, Cadence.WEEKLY, "3h"),
    Contract(
        "C2", "S2", Package.SCHEDULED_ON_DEMAND, d("2026-09-01"), 52, 19, Cadence.FORTNIGHTLY, "2h"
    ),
    Contract("C3", "S3", Package.SCHEDULED, d("2027-01-04"), 10, 10, Cadence.WEEKLY, "3h"),
    Contract("C4", "S4", Package.SCHEDULED, d("2026-09-01"), 46, 46, Cadence.WEEKLY, "3h"),
    Contract("C5", "S5", Package.FULL_MANAGED, d("2026-09-01"), 52, dedicated_technician_id="T3"),
]
"""C3 runs 2027-01-04 to 2027-03-14."""


def book(**changes: object) -> Scenario:
    scenario = Scenario(
        schools=list(SCHOOLS),
        technicians=list(TECHNICIANS),
        contracts=list(CONTRACTS),
        term_dates=[TermBlock("T", d(first), d(last)) for first, last in TERM],
        settings=Settings(shutdown=((d("2026-12-21"), d("2027-01-01")),)),
    )
    return dataclasses.replace(scenario, **changes)


def with_school(school_id: str, **changes: object) -> Scenario:
    return book(
        schools=[
            dataclasses.replace(s, **changes) if s.school_id == school_id else s for s in SCHOOLS
        ]
    )


def with_technician(technician_id: str, **changes: object) -> Scenario:
    return book(
        technicians=[
            dataclasses.replace(t, **changes) if t.technician_id == technician_id else t
            for t in TECHNICIANS
        ]
    )


def visit(
    visit_id: str,
    day: str,
    window: str,
    contract_id: str,
    technician_id: str,
    kind: VisitKind = VisitKind.SCHEDULED,
    windows: tuple[Window, ...] = DEFAULT_WINDOWS,
) -> PlannedVisit:
    """A row in a window of its contract's family (or of `windows` for a custom family)."""
    contract = next(c for c in CONTRACTS if c.contract_id == contract_id)
    family = contract.window_family if windows is DEFAULT_WINDOWS else windows[0].family
    slot = next(w for w in windows if (w.family, w.name) == (family, window))
    return PlannedVisit(
        visit_id,
        d(day),
        window,
        slot.start,
        slot.end,
        contract.school_id,
        contract_id,
        technician_id,
        kind,
    )


def dedicated(visit_id: str, day: str, technician_id: str = "T3") -> PlannedVisit:
    return PlannedVisit(
        visit_id,
        d(day),
        DAY_WINDOW,
        time(8),
        time(18),
        "S5",
        "C5",
        technician_id,
        VisitKind.DEDICATED,
    )


V1 = visit("V1", "2027-03-09", "AM", "C1", "T1")  # Tue 08:30-11:30
V2 = visit("V2", "2027-03-09", "PM", "C2", "T1")  # Tue 14:30-16:00 (2h family)
V3 = visit("V3", "2027-03-10", "PM", "C3", "T2")  # Wed 12:30-15:30
VALID = [V1, V2, V3]


def moved(row: PlannedVisit, **changes: object) -> PlannedVisit:
    if "date" in changes:
        changes["date"] = d(str(changes["date"]))
    return dataclasses.replace(row, **changes)


def broken(
    roster: list[PlannedVisit], scenario: Scenario | None = None, **options: Any
) -> list[tuple[int, str]]:
    report = validate_roster(scenario or book(), roster, **options)
    return [(v.rule, v.visit_id) for v in report.violations]


def messages(roster: list[PlannedVisit], scenario: Scenario | None = None) -> str:
    return " | ".join(v.message for v in validate_roster(scenario or book(), roster).violations)


def test_valid_roster_has_no_violations() -> None:
    report = validate_roster(book(), VALID)
    assert report.ok
    assert report.violations == []


# Rule 1: the day.


def test_rule_1_saturday() -> None:
    roster = [moved(V1, date="2027-03-13"), V2, V3]  # T1 works Saturdays: only the school can't
    assert broken(roster) == [(1, "V1")]
    assert "rule 1: S1 (C1) cannot be visited on 2027-03-13: weekend" in messages(roster)


def test_rule_1_public_holiday_of_the_schools_own_nation_only() -> None:
    st_patricks = "2027-03-17"  # Wednesday: a bank holiday in Northern Ireland only
    assert broken([V1, moved(V2, date=st_patricks), V3]) == [(1, "V2")]
    assert broken([moved(V1, date=st_patricks), V2, V3]) == []


def test_rule_1_shutdown_even_in_term() -> None:
    roster = [moved(V1, date="2026-12-21"), V2, V3]
    assert broken(roster) == [(1, "V1")]
    assert "company shutdown" in messages(roster)


def test_rule_1_closure() -> None:
    scenario = book(closures=[Closure("S1", d("2027-03-11"), d("2027-03-11"), "INSET day")])
    assert broken([V1, V2, V3], scenario) == []
    roster = [moved(V1, date="2027-03-11"), V2, V3]
    assert broken(roster, scenario) == [(1, "V1")]
    assert "closure: INSET day" in messages(roster, scenario)


def test_rule_1_outside_the_contract_period() -> None:
    roster = [V1, V2, moved(V3, date="2027-03-16")]  # C3 ended on Sunday 2027-03-14
    assert broken(roster) == [(1, "V3")]
    assert "outside contract period" in messages(roster)


def test_rule_1_out_of_term_unless_holiday_access() -> None:
    half_term = [V1, V2, moved(V3, date="2027-02-16")]
    assert broken(half_term) == [(1, "V3")]
    assert "outside term" in messages(half_term)
    assert broken(half_term, with_school("S3", holiday_access=True)) == []


# Rule 2: the window.


def test_rule_2_window_of_another_family() -> None:
    two_hour_am = moved(V1, end=time(10, 30))
    assert broken([two_hour_am, V2, V3]) == [(2, "V1")]
    assert "AM 08:30-10:30 is not a 3h window of C1" in messages([two_hour_am, V2, V3])
    assert broken([moved(V1, window="LUNCH", start=time(11), end=time(13)), V2, V3]) == [(2, "V1")]


def test_rule_2_dedicated_rows_are_the_whole_onsite_day_of_a_full_managed_contract() -> None:
    assert broken([dedicated("D1", "2027-03-09")]) == []
    morning_only = moved(dedicated("D1", "2027-03-09"), window="AM", end=time(11, 30))
    assert broken([morning_only]) == [(2, "D1")]
    for_scheduled = moved(
        V1, kind=VisitKind.DEDICATED, window=DAY_WINDOW, start=time(8), end=time(18)
    )
    assert broken([for_scheduled]) == [(2, "V1")]


# Rule 3: the technician.


def test_rule_3_on_leave() -> None:
    scenario = book(leave=[Leave("T2", d("2027-03-10"), d("2027-03-10"), "annual leave")])
    assert broken(VALID, scenario) == [(3, "V3")]
    assert "rule 3: T2 is on leave (annual leave): visit to S3 on 2027-03-10" in messages(
        VALID, scenario
    )


def test_rule_3_not_a_working_weekday() -> None:
    friday = [V1, V2, moved(V3, date="2027-03-12")]  # T2 works Monday to Thursday
    assert broken(friday) == [(3, "V3")]
    assert "T2 does not work on Fridays" in messages(friday)


def test_rule_3_apprentice_at_a_school_requiring_a_senior() -> None:
    scenario = with_school("S3", requires_senior=True)
    assert broken(VALID, scenario) == [(3, "V3")]
    assert broken([V1, V2, moved(V3, technician_id="T3")], scenario) == []


def test_rule_3_missing_skill() -> None:
    assert broken(VALID, with_school("S3", required_skills=frozenset({"AV"}))) == [(3, "V3")]
    assert broken(VALID, with_school("S1", required_skills=frozenset({"SIMS"}))) == []


# Rule 4: the technician's day.


def test_rule_4_overlapping_visits() -> None:
    same_morning = visit("V4", "2027-03-09", "AM", "C4", "T1")
    assert broken([V1, same_morning, V2, V3]) == [(4, "V4")]


def test_rule_4_travel_must_fit_the_gap() -> None:
    afternoon = visit("V5", "2027-03-09", "PM", "C3", "T1")  # 12:30, 60 min after V1 ends
    assert broken([V1, afternoon]) == []  # S1 -> S3 is 14 min by coordinates
    slow_road = book(travel=[TravelTime("S1", "S3", 75)])
    assert broken([V1, afternoon], slow_road) == [(4, "V5")]
    assert "75 min from S1 to S3 does not fit the 60-min gap" in messages(
        [V1, afternoon], slow_road
    )
    s3_first = [
        visit("V5", "2027-03-09", "AM", "C3", "T1"),
        visit("V1", "2027-03-09", "PM", "C1", "T1"),
    ]
    assert broken(s3_first, slow_road) == []  # travel.csv gives one direction only


@pytest.mark.parametrize(
    "scenario",
    [
        with_technician("T2", max_commute_minutes=10),
        book(settings=Settings(max_commute_minutes=10)),
    ],
    ids=["technician's own limit", "company default"],
)
def test_rule_4_commute_too_long(scenario: Scenario) -> None:
    # T2's home is 14.x min from S3 both ways (15 rounded up): one violation naming both legs.
    assert broken([V3], scenario) == [(4, "V3")]
    assert "home -> S3 15 min and S3 -> home 15 min over the 10-min commute limit" in messages(
        [V3], scenario
    )


def test_rule_4_more_visits_than_the_daily_maximum() -> None:
    hourly = tuple(
        Window("1h", name, time(*start), time(*end))
        for name, start, end in (
            ("A", (8, 0), (9, 0)),
            ("B", (9, 30), (10, 30)),
            ("C", (11, 0), (12, 0)),
            ("D", (13, 0), (14, 0)),
        )
    )
    scenario = book(
        windows=list(hourly),
        contracts=[dataclasses.replace(c, window_family="1h") for c in CONTRACTS],
    )
    day = [
        visit(f"V{n}", "2027-03-09", name, f"C{n}", "T1", windows=hourly)
        for n, name in ((1, "A"), (2, "B"), (3, "C"), (4, "D"))
    ]
    assert broken(day[:3], scenario) == []
    assert broken(day, scenario) == [(4, "V4")]


def test_rule_4_dedicated_day_and_nothing_else() -> None:
    assert broken([dedicated("D1", "2027-03-09"), V2, V3]) == []
    assert broken([dedicated("D1", "2027-03-09"), moved(V1, technician_id="T3"), V2, V3]) == [
        (4, "V1")
    ]


def test_rule_4_onsite_hours() -> None:
    early = Window("3h", "AM", time(7, 0), time(10, 0))
    scenario = book(windows=[early, *DEFAULT_WINDOWS[1:]])
    roster = [moved(V1, start=time(7), end=time(10)), V2, V3]
    assert broken(roster, scenario) == [(4, "V1")]


# Rule 5: the school's day and the contract's entitlement.


def test_rule_5_two_visits_to_a_school_on_one_day() -> None:
    second = visit("V6", "2027-03-09", "PM", "C1", "T2")
    assert broken([V1, V2, V3, second]) == [(5, "V6")]


def test_rule_5_never_more_than_bought_history_included() -> None:
    def history(*statuses: str) -> list[HistoryVisit]:
        return [
            HistoryVisit(f"H{n}", "C3", d("2027-03-01"), "PM", "T2", VisitStatus(status))
            for n, status in enumerate(statuses)
        ]

    two_bought = [
        c if c.contract_id != "C3" else dataclasses.replace(c, visits=2) for c in CONTRACTS
    ]
    owed_again = book(contracts=two_bought, history=history("delivered", "cancelled_by_provider"))
    assert broken(VALID, owed_again) == []
    used_up = book(contracts=two_bought, history=history("delivered", "remote_in_lieu"))
    assert broken(VALID, used_up) == [(5, "V3")]
    callout = visit("E1", "2027-03-08", "PM", "C3", "T2", kind=VisitKind.EMERGENCY)
    assert broken([callout, *VALID], owed_again) == [(5, "V3")]


# Rule 6: reported per contract, not as a violation.


def test_rule_6_short_only_for_periods_that_end_inside_the_horizon() -> None:
    report = validate_roster(book(), VALID, date_to=d("2027-03-14"))
    assert report.ok
    assert report.short == [("C3", 9)]
    whole = validate_roster(book(), VALID)
    assert dict(whole.short) == {"C1": 45, "C2": 18, "C3": 9, "C4": 46}


# Quality metrics and penalty terms.


def pattern_roster() -> list[PlannedVisit]:
    """C1 (prefers Tue AM): Tue AM, Tue AM, Wed AM, Tue PM; 3 by T1, 1 by T2.
    C3 (no preference): Wed PM twice, both by T2. C2 once (too few to measure), and a dedicated day.
    """
    return [
        visit("M1", "2027-02-23", "AM", "C1", "T1"),
        visit("M2", "2027-03-02", "AM", "C1", "T1"),
        visit("M3", "2027-03-10", "AM", "C1", "T1"),
        visit("M4", "2027-03-16", "PM", "C1", "T2"),
        visit("N1", "2027-02-24", "PM", "C3", "T2"),
        visit("N2", "2027-03-03", "PM", "C3", "T2"),
        visit("P1", "2027-03-09", "PM", "C2", "T1"),
        dedicated("D1", "2027-03-09"),
    ]


def test_regularity_continuity_preference_pooled_over_contracts() -> None:
    report = validate_roster(book(), pattern_roster())
    assert report.ok
    assert report.metrics.regularity == pytest.approx(4 / 6)  # (2 + 2) / (4 + 2) weeks
    assert report.metrics.continuity == pytest.approx(5 / 6)  # (3 + 2) / (4 + 2) visits
    assert report.metrics.preference == pytest.approx(2 / 4)  # C1 only: 2 of 4 weeks
    assert report.terms["irregular"] == 2
    assert report.terms["discontinuity"] == 1
    assert report.terms["off_preference"] == 2
    assert report.metrics.visits == 8


def test_preference_with_a_weekday_only() -> None:
    report = validate_roster(with_school("S3", preferred_weekday=2), pattern_roster())
    assert report.metrics.preference == pytest.approx((2 + 2) / (4 + 2))
    assert report.terms["off_preference"] == 2


def test_travel_counts_home_legs_and_the_metric_counts_dedicated_days() -> None:
    legs = [("T1", "S1", 10), ("S1", "S2", 20), ("S2", "T1", 30), ("T3", "S5", 5), ("S5", "T3", 7)]
    scenario = book(travel=[TravelTime(*leg) for leg in legs])
    report = validate_roster(scenario, [V1, V2, dedicated("D1", "2027-03-09")])
    assert report.metrics.travel_per_visit == pytest.approx((60 + 12) / 3)
    assert report.terms["travel"] == 60  # the solver never plans a dedicated day


def test_shortfall_is_bought_minus_consumed_minus_placed() -> None:
    history = [
        HistoryVisit(f"H{n}", "C1", d("2027-01-05"), "AM", "T1", status)
        for n, status in enumerate(VisitStatus)
    ]  # five records, four of which consume a visit
    callout = visit("E1", "2027-03-08", "AM", "C1", "T1", kind=VisitKind.EMERGENCY)
    report = validate_roster(book(history=history), [*VALID, callout])
    c1, c2, c3, c4 = 46 - 4 - 2, 19 - 1, 10 - 1, 46
    assert report.metrics.shortfall == c1 + c2 + c3 + c4
    assert dict(report.short) == {"C1": c1, "C2": c2, "C3": c3, "C4": c4}
    # By default owed = bought - consumed - callouts, and a callout is not a placement.
    assert report.terms["unplaced"] == c1 + c2 + c3 + c4


def test_unplaced_counts_owed_minus_placed_non_emergency_visits() -> None:
    callout = visit("E1", "2027-03-08", "AM", "C1", "T1", kind=VisitKind.EMERGENCY)
    report = validate_roster(book(), [V1, V2, callout], owed={"C1": 5, "C3": 1})
    assert report.terms["unplaced"] == (5 - 1) + 1


def test_crowding() -> None:
    roster = [
        visit("A", "2027-03-08", "AM", "C1", "T1"),  # Mon
        visit("B", "2027-03-11", "AM", "C1", "T1"),  # Thu: 3 days later, 7 // 2 + 1 - 3 = 1
        visit("C", "2027-03-16", "AM", "C1", "T1"),  # Tue: 5 days later, 0
        visit("D", "2027-03-09", "PM", "C2", "T1"),  # fortnightly
        visit("E", "2027-03-15", "PM", "C2", "T1"),  # 6 days later: 14 // 2 + 1 - 6 = 2
    ]
    assert validate_roster(book(), roster).terms["crowding"] == 3


def test_behind_pace() -> None:
    # Three term weeks from Mon 2027-03-08; C1 owes 3 and has an emergency callout: N = 4.
    # Week 1: 4*1//3 = 1 due, 0 done; week 2: 2 due, 2 done; week 3: 4 due, 3 done.
    roster = [
        visit("A", "2027-03-16", "AM", "C1", "T1"),
        visit("B", "2027-03-18", "AM", "C1", "T1"),
        visit("E", "2027-03-23", "AM", "C1", "T1", kind=VisitKind.EMERGENCY),
    ]
    report = validate_roster(
        book(), roster, date_from=d("2027-03-08"), date_to=d("2027-03-28"), owed={"C1": 3}
    )
    assert report.terms["behind_pace"] == 1 + 0 + 1
    assert report.terms["unplaced"] == 1


def test_workload_over_technicians_who_could_work() -> None:
    horizon = {"date_from": d("2027-03-09"), "date_to": d("2027-03-10")}
    assert validate_roster(book(), VALID, **horizon).terms["workload"] == 2 - 0  # T3 idle
    tied_up = [dedicated("D1", "2027-03-09"), dedicated("D2", "2027-03-10")]
    assert validate_roster(book(), [*VALID, *tied_up], **horizon).terms["workload"] == 2 - 1
    away = book(leave=[Leave("T3", d("2027-03-08"), d("2027-03-12"))])
    assert validate_roster(away, VALID, **horizon).terms["workload"] == 2 - 1


def test_moved_and_reassigned_against_the_hint() -> None:
    roster = [V1, moved(V2, technician_id="T3"), moved(V3, date="2027-03-09")]
    report = validate_roster(book(), roster, hint=VALID)
    assert report.terms["moved"] == 1
    assert report.terms["reassigned"] == 1
    assert validate_roster(book(), roster).terms["moved"] == 0


def test_objective_weighs_every_term_with_settings_overrides() -> None:
    scenario = book(settings=Settings(objective={"travel": 3}))
    report: ValidationReport = validate_roster(scenario, pattern_roster(), owed={"C1": 6})
    assert tuple(report.terms) == TERMS
    expected = sum(DEFAULT_WEIGHTS[name] * value for name, value in report.terms.items())
    expected += 2 * report.terms["travel"]
    assert report.objective == expected
    assert report.terms["unplaced"] == 2


def test_unknown_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown technician T9"):
        validate_roster(book(), [moved(V1, technician_id="T9")])
    with pytest.raises(ValueError, match="school S2 is not contract C1's school S1"):
        validate_roster(book(), [moved(V1, school_id="S2")])


# The roster file.


def test_roster_csv_is_sorted_and_formatted(tmp_path: Path) -> None:
    frame = roster_frame([V3, V2, V1])
    assert tuple(frame.columns) == ROSTER_COLUMNS
    assert list(frame["visit_id"]) == ["V1", "V2", "V3"]
    out = tmp_path / "roster.csv"
    write_roster_csv([V3, V2, V1], out)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "date,window,start,end,school_id,contract_id,technician_id,kind,visit_id",
        "2027-03-09,AM,08:30,11:30,S1,C1,T1,scheduled,V1",
        "2027-03-09,PM,14:30,16:00,S2,C2,T1,scheduled,V2",
        "2027-03-10,PM,12:30,15:30,S3,C3,T2,scheduled,V3",
    ]


def test_a_300_school_year_of_12000_rows_validates() -> None:
    """12,000 rows: 30 technicians, each with a morning and an afternoon school every weekday."""
    schools = [
        School(f"S{n:03}", "School", 51.0 + n // 20 * 0.02, 0.2 + n % 20 * 0.02, Nation.ENG, "T")
        for n in range(300)
    ]
    technicians = [
        Technician(f"T{n:02}", "Tech", 51.0 + n // 3 * 0.04, 0.3 + n % 3 * 0.1, Grade.FIRST_LINE)
        for n in range(30)
    ]
    contracts = [
        Contract(f"C{n:03}", f"S{n:03}", Package.SCHEDULED, d("2026-09-01"), 46, 46, Cadence.WEEKLY)
        for n in range(300)
    ]
    morning, afternoon = DEFAULT_WINDOWS[0], DEFAULT_WINDOWS[1]

    def weekly(week: int, n: int) -> PlannedVisit:
        """School n: technician n // 10, weekday n % 10 // 2, morning when n is even."""
        slot = morning if n % 2 == 0 else afternoon
        day = d("2026-09-07") + timedelta(days=7 * week + n % 10 // 2)
        return PlannedVisit(
            f"V{week}-{n}", day, slot.name, slot.start, slot.end, f"S{n:03}", f"C{n:03}",
            f"T{n // 10:02}", VisitKind.SCHEDULED,
        )  # fmt: skip

    roster = [weekly(week, n) for week in range(40) for n in range(300)]
    scenario = book(schools=schools, technicians=technicians, contracts=contracts)
    report = validate_roster(scenario, roster, date_from=d("2026-09-01"), date_to=d("2027-07-19"))
    assert report.metrics.visits == 12_000

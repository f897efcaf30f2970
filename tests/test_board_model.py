"""The board's pure filters and swap choices, on hand-made visits: no database, no Streamlit."""

from __future__ import annotations

from datetime import date, time

from scheduler.domain import Nation, PlannedVisit, Scenario, School, VisitKind
from scheduler.ui.board_model import (
    NO_POSTCODE,
    postcode_area,
    region_choices,
    swap_candidates,
    visit_label,
    wanted_schools,
)


def _school(school_id: str, calendar: str, postcode: str) -> School:
    return School(school_id, f"School {school_id}", 51.0, 0.5, Nation.ENG, calendar, postcode)


SCENARIO = Scenario(
    schools=[
        _school("S1", "KENT", "ME14 1XX"),
        _school("S2", "KENT", "CT1 2AB"),
        _school("S3", "BIRMINGHAM", "B1 1AA"),
        _school("S4", "KENT-ACADEMY-A", ""),
    ]
)


def _visit(visit_id: str, day: date, window: str, tech: str, locked: bool = False) -> PlannedVisit:
    return PlannedVisit(
        visit_id, day, window, time(8, 30), time(11, 30), "S1", "C1", tech,
        VisitKind.SCHEDULED, locked=locked,
    )  # fmt: skip


def test_postcode_area_is_the_leading_letters() -> None:
    assert [postcode_area(p) for p in ("ME14 1XX", "ct1 2ab", "B1 1AA", " SW1A 1AA")] == [
        "ME",
        "CT",
        "B",
        "SW",
    ]
    assert postcode_area("") == postcode_area("unknown") == NO_POSTCODE


def test_region_choices_are_the_calendars_and_areas_in_use() -> None:
    assert region_choices(SCENARIO) == (
        ["BIRMINGHAM", "KENT", "KENT-ACADEMY-A"],
        [NO_POSTCODE, "B", "CT", "ME"],
    )


def test_filters_combine_and_none_means_everything() -> None:
    assert wanted_schools(SCENARIO) is None
    assert wanted_schools(SCENARIO, regions=["KENT"]) == {"S1", "S2"}
    assert wanted_schools(SCENARIO, regions=["KENT"], areas=["CT", "B"]) == {"S2"}
    assert wanted_schools(SCENARIO, areas=[NO_POSTCODE]) == {"S4"}
    assert wanted_schools(SCENARIO, school_ids=["S3"], regions=["KENT"]) == set()


def test_swap_candidates_are_the_other_visits_of_the_week_in_order() -> None:
    mine = _visit("V1", date(2026, 12, 2), "AM", "T1")
    plan = [
        mine,
        _visit("V2", date(2026, 12, 4), "AM", "T2"),
        _visit("V3", date(2026, 11, 30), "PM", "T2"),
        _visit("V4", date(2026, 11, 30), "AM", "T3"),
        _visit("V5", date(2026, 12, 7), "AM", "T1"),  # next week
    ]
    assert [v.visit_id for v in swap_candidates(plan, mine)] == ["V4", "V3", "V2"]


def test_visit_label_names_school_technician_day_and_window() -> None:
    visit = _visit("V1", date(2026, 12, 2), "AM", "T1", locked=True)
    label = visit_label(visit, {"S1": "Dartford Primary"}, {"T1": "Ann"})
    assert label == "[L] Dartford Primary · Ann · Wed 02 Dec · AM"

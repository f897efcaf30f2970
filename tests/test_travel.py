"""Travel minutes: coordinates, travel.csv overrides, and the rounding up all sides share."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scheduler.domain import Grade, Nation, Scenario, School, Settings, Technician, TravelTime
from scheduler.travel import EARTH_RADIUS_KM, TravelMatrix, great_circle_km, round_up

KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180


def book(*, travel: list[TravelTime] | None = None, settings: Settings | None = None) -> Scenario:
    """Two schools one degree of latitude apart on the Greenwich meridian, a home between them."""
    return Scenario(
        schools=[
            School("S1", "North", 52.0, 0.0, Nation.ENG, "T"),
            School("S2", "South", 51.0, 0.0, Nation.ENG, "T"),
        ],
        technicians=[Technician("T1", "Home", 51.5, 0.0, Grade.FIRST_LINE)],
        travel=travel or [],
        settings=settings or Settings(),
    )


def test_one_degree_of_latitude_is_the_mean_earth_radius_arc() -> None:
    km = great_circle_km(np.array([51.0]), np.array([0.0]), np.array([52.0]), np.array([0.0]))
    assert km[0] == pytest.approx(KM_PER_DEGREE, rel=1e-12)


def test_coordinates_give_the_same_minutes_both_ways() -> None:
    travel = TravelMatrix(book())
    expected = math.ceil(KM_PER_DEGREE * 1.3 / 40 * 60)  # 216.8 -> 217
    assert travel.minutes("S1", "S2") == travel.minutes("S2", "S1") == expected == 217
    assert travel.minutes("T1", "S1") == travel.minutes("S1", "T1") == 109  # 108.4
    assert travel.minutes("S1", "S1") == 0


def test_travel_csv_overrides_only_its_own_direction() -> None:
    travel = TravelMatrix(book(travel=[TravelTime("S1", "S2", 150)]))
    assert travel.minutes("S1", "S2") == 150
    assert travel.minutes("S2", "S1") == 217
    matrix = travel.matrix(["S1", "S2"])
    assert matrix.tolist() == [[0, 150], [217, 0]]


def test_minutes_round_up_so_a_whole_minute_limit_means_the_exact_estimate() -> None:
    # 45 + 1e-12 is float noise around a whole minute: snapped, it stays 45.
    minutes = np.array([0.0, 0.01, 44.3, 45.0, 45 + 1e-12, 45 - 1e-12, 45.3])
    assert round_up(minutes).tolist() == [0, 1, 45, 45, 45, 45, 46]


def test_an_estimate_of_45_point_3_minutes_is_46_never_45() -> None:
    # A detour factor chosen so that S1 -> S2 is 45.3 minutes: within a 45-minute limit
    # rounded to the nearest minute, over it in fact.
    factor = 45.3 * 40 / 60 / KM_PER_DEGREE
    travel = TravelMatrix(book(settings=Settings(detour_factor=factor)))
    assert travel.minutes("S1", "S2") == 46
    assert travel.matrix(["S1", "S2"])[0, 1] == 46


def test_matrix_agrees_with_minutes_for_every_pair_and_repeated_ids() -> None:
    travel = TravelMatrix(book(travel=[TravelTime("T1", "S2", 5)]))
    ids = ["S2", "T1", "S1", "T1"]
    matrix = travel.matrix(ids)
    assert matrix.dtype.kind == "i"
    assert matrix.tolist() == [[travel.minutes(a, b) for b in ids] for a in ids]
    assert matrix[1, 0] == matrix[3, 0] == 5


def test_unknown_place_is_named() -> None:
    with pytest.raises(KeyError, match="S9"):
        TravelMatrix(book()).minutes("S1", "S9")


def test_the_exact_matrix_is_the_matrix_before_rounding_up() -> None:
    travel = TravelMatrix(book(travel=[TravelTime("T1", "S2", 5)]))
    ids = ["S1", "S2", "T1"]
    exact = travel.exact_matrix(ids)
    assert exact[0, 1] == pytest.approx(KM_PER_DEGREE * 1.3 / 40 * 60, rel=1e-12)  # 216.8
    assert exact[2, 1] == 5  # travel.csv as given
    assert round_up(exact).tolist() == travel.matrix(ids).tolist()

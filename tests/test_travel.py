"""Travel minutes: coordinates, travel.csv overrides, and the half-up rounding all sides share."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scheduler.domain import Grade, Nation, Scenario, School, Settings, Technician, TravelTime
from scheduler.travel import EARTH_RADIUS_KM, TravelMatrix, great_circle_km, round_half_up

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
    expected = math.floor(KM_PER_DEGREE * 1.3 / 40 * 60 + 0.5)  # 216.8 -> 217
    assert travel.minutes("S1", "S2") == travel.minutes("S2", "S1") == expected == 217
    assert travel.minutes("T1", "S1") == travel.minutes("S1", "T1") == 108  # 108.4
    assert travel.minutes("S1", "S1") == 0


def test_travel_csv_overrides_only_its_own_direction() -> None:
    travel = TravelMatrix(book(travel=[TravelTime("S1", "S2", 150)]))
    assert travel.minutes("S1", "S2") == 150
    assert travel.minutes("S2", "S1") == 217
    matrix = travel.matrix(["S1", "S2"])
    assert matrix.tolist() == [[0, 150], [217, 0]]


def test_round_half_up_not_to_even() -> None:
    # 12.5 - 1e-12 is float noise around a half minute: snapped, then rounded up.
    minutes = np.array([0.5, 1.5, 2.5, 2.49, 12.5 - 1e-12])
    assert round_half_up(minutes).tolist() == [1, 2, 3, 2, 13]


def test_an_estimate_of_exactly_half_a_minute_rounds_up() -> None:
    # A detour factor chosen so that S1 -> S2 is 12.5 minutes: up to 13, never 12.
    factor = 12.5 * 40 / 60 / KM_PER_DEGREE
    travel = TravelMatrix(book(settings=Settings(detour_factor=factor)))
    assert travel.minutes("S1", "S2") == 13
    assert travel.matrix(["S1", "S2"])[0, 1] == 13


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

"""The reasons given for unplaced visits name the technician's own commute limit."""

from __future__ import annotations

import dataclasses

from scheduler.domain import Grade, Nation, Scenario, School, Settings, Technician
from scheduler.services.diagnose import no_eligible_technician
from scheduler.travel import TravelMatrix


def _book(own_limit: int | None) -> Scenario:
    """A school 0.2 degrees of latitude (43.4 minutes at the defaults) from the only home."""
    return Scenario(
        schools=[School("S1", "School", 51.2, 0.0, Nation.ENG, "T")],
        technicians=[
            Technician("T1", "Home", 51.0, 0.0, Grade.FIRST_LINE, max_commute_minutes=own_limit)
        ],
        settings=dataclasses.replace(Settings(), max_commute_minutes=45),
    )


def test_a_technicians_own_commute_limit_is_named_when_it_blocks() -> None:
    book = _book(20)
    reason = no_eligible_technician(book, book.schools[0], TravelMatrix(book))
    assert reason == (
        "no technician lives within 45 minutes' commute of S1 "
        "(nearest: T1, 44 min, over their own 20)"
    )


def test_within_the_company_limit_the_school_has_an_eligible_technician() -> None:
    book = _book(None)
    assert no_eligible_technician(book, book.schools[0], TravelMatrix(book)) is None

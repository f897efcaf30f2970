"""Who may be sent where: rule 3's seniority and skills, rule 4's home legs.

Shared by the instance builder, the cover picker and the explanations of
unplaced visits, so that all three agree on who counts as eligible.
"""

from __future__ import annotations

from scheduler.domain import Scenario, School, Technician
from scheduler.travel import TravelMatrix


def qualified(tech: Technician, school: School) -> bool:
    """No apprentice where a senior is required; every skill the school requires."""
    if school.requires_senior and not tech.is_senior:
        return False
    return school.required_skills <= tech.skills


def commute_limit(tech: Technician, scenario: Scenario) -> int:
    if tech.max_commute_minutes is not None:
        return tech.max_commute_minutes
    return scenario.settings.max_commute_minutes


def commute(tech: Technician, school: School, travel: TravelMatrix) -> int:
    """The longer home leg: a school may be a day's first and last stop."""
    return max(
        travel.minutes(tech.technician_id, school.school_id),
        travel.minutes(school.school_id, tech.technician_id),
    )


def within_commute(
    tech: Technician, school: School, scenario: Scenario, travel: TravelMatrix
) -> bool:
    return commute(tech, school, travel) <= commute_limit(tech, scenario)


def eligible(tech: Technician, school: School, scenario: Scenario, travel: TravelMatrix) -> bool:
    return qualified(tech, school) and within_commute(tech, school, scenario, travel)

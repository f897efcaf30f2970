"""Why owed visits could not be placed, found by checks, in words a dispatcher can act on.

The checks run from the most fundamental to the most circumstantial and the
first that explains the shortfall wins: nobody may be sent at all; everyone
who may be sent is tied up on a full-managed site; there are fewer visitable
days than visits; the eligible technicians are away on too many of those
days; otherwise their days are full with other schools.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scheduler.calendar import Calendar
from scheduler.domain import Contract, PlannedVisit, Scenario, School, Technician
from scheduler.eligibility import commute, eligible, qualified, within_commute
from scheduler.travel import TravelMatrix


def _needs(school: School) -> str:
    needs = (["a senior grade"] if school.requires_senior else []) + sorted(school.required_skills)
    return ", ".join(needs)


def _nearest(techs: Sequence[Technician], school: School, travel: TravelMatrix) -> str:
    tech = min(techs, key=lambda t: (commute(t, school, travel), t.technician_id))
    return f"nearest: {tech.technician_id}, {commute(tech, school, travel)} min"


def no_eligible_technician(scenario: Scenario, school: School, travel: TravelMatrix) -> str | None:
    """Skills, seniority and commute: names the rule that empties the candidate list."""
    if not scenario.technicians:
        return "there are no technicians"
    in_range = [t for t in scenario.technicians if within_commute(t, school, scenario, travel)]
    able = [t for t in scenario.technicians if qualified(t, school)]
    if any(qualified(t, school) for t in in_range):
        return None
    limit = scenario.settings.max_commute_minutes
    if not in_range:
        return (
            f"no technician lives within {limit} minutes' commute of {school.school_id} "
            f"({_nearest(scenario.technicians, school, travel)})"
        )
    if not able:
        return f"no technician has {_needs(school)}, which {school.school_id} requires"
    return (
        f"no technician with {_needs(school)} within {limit} minutes' commute of "
        f"{school.school_id} ({_nearest(able, school, travel)})"
    )


def _week_span(days: Sequence[date]) -> str:
    weeks = sorted({d.isocalendar()[1] for d in days})
    if len(weeks) == 1:
        return f"week {weeks[0]}"
    return f"weeks {weeks[0]}-{weeks[-1]}" if weeks else "no weeks"


def explain_unplaced(
    scenario: Scenario,
    contract: Contract,
    *,
    owed: int,
    missing: int,
    date_from: date,
    date_to: date,
    calendar: Calendar,
    travel: TravelMatrix,
    dedicated: Sequence[PlannedVisit] = (),
) -> str:
    """One sentence naming what blocks `missing` of the `owed` visits in the horizon."""
    school = scenario.school(contract.school_id)
    reason = no_eligible_technician(scenario, school, travel)
    if reason:
        return reason
    techs = [t for t in scenario.technicians if eligible(t, school, scenario, travel)]
    names = ", ".join(t.technician_id for t in techs[:4]) + (", …" if len(techs) > 4 else "")
    days = calendar.visitable_days(contract.contract_id, date_from, date_to)
    if len(days) < owed:
        return (
            f"{len(days)} visitable days left in {date_from}..{min(date_to, contract.end_date)} "
            f"for {owed} owed visits (term, closures, public holidays, shutdown)"
        )
    duty = {(row.technician_id, row.date): row.school_id for row in dedicated}
    working = [
        d for d in days if any(calendar.technician_available(t.technician_id, d) for t in techs)
    ]
    free = [d for d in working if any((t.technician_id, d) not in duty for t in techs)]
    if working and not free:
        sites = sorted({duty[(t.technician_id, d)] for t in techs for d in working
                        if (t.technician_id, d) in duty})  # fmt: skip
        return (
            f"the only technicians in range ({names}) are dedicated full-time to "
            f"full-managed {', '.join(sites)} on every visitable day"
        )
    if len(free) < owed:
        away = sorted(set(days) - set(free))
        return (
            f"all eligible technicians ({names}) are on leave, off or on dedicated duty on "
            f"{len(away)} of {len(days)} visitable days ({_week_span(away)}); "
            f"{len(free)} days left for {owed} owed visits"
        )
    return (
        f"eligible technicians ({names}) are fully booked with other schools on the "
        f"{len(free)} days they could come; {missing} of {owed} visits did not fit"
    )

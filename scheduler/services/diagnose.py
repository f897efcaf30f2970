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
from scheduler.eligibility import commute, commute_limit, eligible, qualified, within_commute
from scheduler.travel import TravelMatrix


def _needs(school: School) -> str:
    needs = (["a senior grade"] if school.requires_senior else []) + sorted(school.required_skills)
    return ", ".join(needs)


def _nearest(
    techs: Sequence[Technician], school: School, scenario: Scenario, travel: TravelMatrix
) -> str:
    """The nearest technician, with their own commute limit where it is not the company's
    (else "nearest: T02, 31 min" reads as within a 45-minute limit)."""
    tech = min(techs, key=lambda t: (commute(t, school, travel), t.technician_id))
    own = commute_limit(tech, scenario)
    limit = "" if own == scenario.settings.max_commute_minutes else f", over their own {own}"
    return f"nearest: {tech.technician_id}, {commute(tech, school, travel)} min{limit}"


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
            f"({_nearest(scenario.technicians, school, scenario, travel)})"
        )
    if not able:
        return f"no technician has {_needs(school)}, which {school.school_id} requires"
    return (
        f"no technician with {_needs(school)} within {limit} minutes' commute of "
        f"{school.school_id} ({_nearest(able, school, scenario, travel)})"
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
    if contract.end_date < date_from:
        return (
            f"the contract's period ended on {contract.end_date}, before {date_from}: "
            f"{missing} owed visits can no longer be delivered"
        )
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
    free, on_duty, away = [], [], []
    sites: set[str] = set()
    for day in days:
        present = [t for t in techs if calendar.technician_available(t.technician_id, day)]
        if any((t.technician_id, day) not in duty for t in present):
            free.append(day)
        elif present:
            on_duty.append(day)
            sites.update(duty[(t.technician_id, day)] for t in present)
        else:
            away.append(day)
    if len(free) < owed:
        blocked = []
        if on_duty:
            blocked.append(
                f"on dedicated duty at full-managed {', '.join(sorted(sites))} on {len(on_duty)}"
            )
        if away:
            blocked.append(f"on leave or off on {len(away)} ({_week_span(away)})")
        return (
            f"eligible technicians ({names}) are {' and '.join(blocked)} of {len(days)} "
            f"visitable days; {len(free)} days left for {owed} owed visits"
        )
    return (
        f"eligible technicians ({names}) are fully booked with other schools on the "
        f"{len(free)} days they could come; {missing} of {owed} visits did not fit"
    )

"""One module per rule, named after the business rule.

Hard rules (`build(ix, model, vars) -> None`): visitable_days,
eligible_technician, commute, fixed_visits, one_visit_per_school_day,
technician_day_capacity, travel_fits_gap, owed_upper_bound. The single-visit
ones also expose `allows(...)`, so candidate generation and the heuristics
create only slots that can be true.

Soft rules (`build(ix, model, vars) -> dict[term, expression]`), one per
term family of `solver.objective`: unplaced, travel, regularity (irregular),
continuity (discontinuity), preference (off_preference), crowding, pace
(behind_pace), workload, disruption (moved, reassigned). Each expression is
the term's exact value over the whole plan: the model's literals plus the
visits around them as constants.
"""

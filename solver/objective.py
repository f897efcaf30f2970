"""The soft goals: named penalty terms and their weights, in one place.

A plan's objective is `sum(weight[t] * term[t])`. Each term is an integer
computed on every visit of the horizon (fixed ones included), defined here in
words so that the solver-free validator in `scheduler.services.validate` can
recompute it independently and tests can assert that the two agree.

- `unplaced`: per contract, max(0, owed - placed), summed.
- `travel`: per technician-day, home -> first school + school -> school in
  window-start order + last school -> home, in minutes, summed.
- `irregular`: per contract with a cadence and at least 2 visits: visited
  ISO weeks minus the largest number of those weeks that contain one same
  (weekday, window) pair.
- `discontinuity`: per contract with a cadence and at least 2 visits: visits
  minus the visits of its most frequent technician.
- `off_preference`: per contract with a cadence and at least 2 visits whose
  school states a preferred weekday and/or window: visited weeks minus the
  weeks that contain a visit matching every stated preference.
- `crowding`: per contract with a cadence, for consecutive visits `gap` days
  apart: max(0, cadence_days // 2 + 1 - gap), summed (two visits in one week
  of a fortnightly contract cost more than a weekly double).
- `behind_pace`: per contract with a cadence, over the weeks of the horizon
  holding at least one of its visitable days, in order: with K such weeks,
  k the rank of the week (1..K) and N its visits in the horizon (owed +
  fixed), max(0, N * k // K - visits up to the end of that week), summed.
  Catch-ups early and evenly, not piled into July.
- `workload`: the most visits of any technician minus the fewest, over
  technicians with at least one available day.
- `moved`: visits of the hint whose (contract, day, window) is no longer in
  the plan (minimal disruption; 0 without a hint).
- `reassigned`: visits of the hint kept on their (contract, day, window) but
  given another technician.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_WEIGHTS: dict[str, int] = {
    "unplaced": 10_000,
    "travel": 1,
    "irregular": 90,
    "discontinuity": 45,
    "off_preference": 60,
    "crowding": 20,
    "behind_pace": 5,
    "workload": 2,
    "moved": 50,
    "reassigned": 20,
}

"""The three pattern terms (irregular, discontinuity, off_preference) are what the spec's
regularity, continuity and preference metrics measure, each with a bar a plan must clear, so
they move together: at 1.5 times 60 / 30 / 40 fewer generated books miss a bar, for about
0.7 % more travel. The dense bench book's regularity fell 0.973 -> 0.969 with them alone and
is 0.974 since `solver.weekly.KEEP_SLOT_TECHNICIANS` went to 12 (README, *Weights for the
bars*, has the measurements)."""

TERMS: tuple[str, ...] = tuple(DEFAULT_WEIGHTS)


def weights(overrides: Mapping[str, float] | None = None) -> dict[str, int]:
    """Default weights with settings.toml `[objective]` overrides applied.

    Raises KeyError naming an unknown term, so a typo in settings is not silently ignored.
    """
    merged = dict(DEFAULT_WEIGHTS)
    for name, value in (overrides or {}).items():
        if name not in merged:
            raise KeyError(f"unknown objective term {name!r}; known: {', '.join(TERMS)}")
        merged[name] = int(value)
    return merged


def total(terms: Mapping[str, int], weight: Mapping[str, int]) -> int:
    return sum(weight[name] * terms.get(name, 0) for name in weight)

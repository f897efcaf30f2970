"""Optimisation only: integers and ids in (`solver.instance`), assignments out.

Nothing here imports `scheduler`: calendars, contracts and the database are
turned into plain integers before they reach the solver, so every rule can be
tested on a five-line instance (tests/solver enforces this).

Entry point: `solver.solve.solve(instance, SolveParams(...), on_progress)`.

- instance, objective   the input and the named penalty terms (the contract with `scheduler`)
- evaluate              terms, hard-rule check and quality metrics, without the solver
- rules/                one module per hard rule and per soft term; `model` assembles them
- greedy                the dispatcher's plan: baseline, warm start, fallback
- standing, catchup, weekly, mopup   the decomposition's phases, in that order
- template, occupancy, regions, cadence, index   what the phases share
- cpsat, params, bound, validate     running CP-SAT, parameters, the lower bound, input checks
- synthetic, benchmark  generated books, and greedy against CP-SAT on them
"""

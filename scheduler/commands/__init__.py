"""Subcommands of `scheduler` grouped by feature; each module defines `register(add)`.

`add(name, handler, help)` returns the subcommand's ArgumentParser; shared
argument helpers (`add_db`, `add_range`, `iso_date`, `engine_from`,
`check_range`, `print_problems`) and the exit codes live in `scheduler.cli`.
"""

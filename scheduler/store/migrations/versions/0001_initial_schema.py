"""Initial schema: every scenario entity plus the planner's runs and visits.

Hand-checked from autogenerate; runs on SQLite and PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:54:30.072684
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column("best_bound", sa.Float(), nullable=True),
        sa.Column("gap", sa.Float(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_run")),
    )
    op.create_table(
        "school",
        sa.Column("school_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("postcode", sa.String(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("nation", sa.String(), nullable=False),
        sa.Column("term_calendar", sa.String(), nullable=False),
        sa.Column("holiday_access", sa.Boolean(), nullable=False),
        sa.Column("requires_senior", sa.Boolean(), nullable=False),
        sa.Column("required_skills", sa.String(), nullable=False),
        sa.Column("preferred_weekday", sa.Integer(), nullable=True),
        sa.Column("preferred_window", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_school")),
    )
    op.create_index(op.f("ix_school_term_calendar"), "school", ["term_calendar"], unique=False)
    op.create_table(
        "settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shutdown", sa.JSON(), nullable=False),
        sa.Column("onsite_start", sa.Time(), nullable=False),
        sa.Column("onsite_end", sa.Time(), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=False),
        sa.Column("detour_factor", sa.Float(), nullable=False),
        sa.Column("max_commute_minutes", sa.Integer(), nullable=False),
        sa.Column("objective", sa.JSON(), nullable=False),
        sa.Column("provider_name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings")),
    )
    op.create_table(
        "sla_policy",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("table", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sla_policy")),
    )
    op.create_table(
        "technician",
        sa.Column("technician_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(), nullable=False),
        sa.Column("skills", sa.String(), nullable=False),
        sa.Column("work_days", sa.String(), nullable=False),
        sa.Column("max_visits_per_day", sa.Integer(), nullable=False),
        sa.Column("max_commute_minutes", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("technician_id", name=op.f("pk_technician")),
    )
    op.create_table(
        "term_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_calendar", sa.String(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_block")),
    )
    op.create_index(
        op.f("ix_term_block_term_calendar"), "term_block", ["term_calendar"], unique=False
    )
    op.create_table(
        "travel_time",
        sa.Column("from_id", sa.String(), nullable=False),
        sa.Column("to_id", sa.String(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("from_id", "to_id", name=op.f("pk_travel_time")),
    )
    op.create_table(
        "window",
        sa.Column("family", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.PrimaryKeyConstraint("family", "name", name=op.f("pk_window")),
    )
    op.create_table(
        "closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.school_id"], name=op.f("fk_closure_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure")),
    )
    op.create_index(op.f("ix_closure_school_id"), "closure", ["school_id"], unique=False)
    op.create_table(
        "contract",
        sa.Column("contract_id", sa.String(), nullable=False),
        sa.Column("school_id", sa.String(), nullable=False),
        sa.Column("package", sa.String(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("period_weeks", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("cadence", sa.String(), nullable=False),
        sa.Column("window_family", sa.String(), nullable=False),
        sa.Column("dedicated_technician_id", sa.String(), nullable=True),
        sa.Column("sla_policy", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dedicated_technician_id"],
            ["technician.technician_id"],
            name=op.f("fk_contract_dedicated_technician_id_technician"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.school_id"], name=op.f("fk_contract_school_id_school")
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_contract")),
    )
    op.create_index(op.f("ix_contract_school_id"), "contract", ["school_id"], unique=False)
    op.create_table(
        "leave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.String(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technician.technician_id"],
            name=op.f("fk_leave_technician_id_technician"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leave")),
    )
    op.create_index(op.f("ix_leave_technician_id"), "leave", ["technician_id"], unique=False)
    op.create_table(
        "ticket",
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("school_id", sa.String(), nullable=False),
        sa.Column("priority", sa.String(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.school_id"], name=op.f("fk_ticket_school_id_school")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket")),
    )
    op.create_index(op.f("ix_ticket_school_id"), "ticket", ["school_id"], unique=False)
    op.create_table(
        "history_visit",
        sa.Column("visit_id", sa.String(), nullable=False),
        sa.Column("contract_id", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("window", sa.String(), nullable=False),
        sa.Column("technician_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.contract_id"],
            name=op.f("fk_history_visit_contract_id_contract"),
        ),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_history_visit")),
    )
    op.create_index(
        op.f("ix_history_visit_contract_id"), "history_visit", ["contract_id"], unique=False
    )
    op.create_table(
        "planned_visit",
        sa.Column("visit_id", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("window", sa.String(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.Column("school_id", sa.String(), nullable=False),
        sa.Column("contract_id", sa.String(), nullable=False),
        sa.Column("technician_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("plan_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.contract_id"],
            name=op.f("fk_planned_visit_contract_id_contract"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_run_id"], ["plan_run.id"], name=op.f("fk_planned_visit_plan_run_id_plan_run")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.school_id"], name=op.f("fk_planned_visit_school_id_school")
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technician.technician_id"],
            name=op.f("fk_planned_visit_technician_id_technician"),
        ),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_planned_visit")),
    )
    op.create_index(
        op.f("ix_planned_visit_contract_id"), "planned_visit", ["contract_id"], unique=False
    )
    op.create_index(op.f("ix_planned_visit_date"), "planned_visit", ["date"], unique=False)
    op.create_index(
        op.f("ix_planned_visit_school_id"), "planned_visit", ["school_id"], unique=False
    )
    op.create_index(
        op.f("ix_planned_visit_technician_id"), "planned_visit", ["technician_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("planned_visit")
    op.drop_table("history_visit")
    op.drop_table("ticket")
    op.drop_table("leave")
    op.drop_table("contract")
    op.drop_table("closure")
    op.drop_table("window")
    op.drop_table("travel_time")
    op.drop_table("term_block")
    op.drop_table("technician")
    op.drop_table("sla_policy")
    op.drop_table("settings")
    op.drop_table("school")
    op.drop_table("plan_run")

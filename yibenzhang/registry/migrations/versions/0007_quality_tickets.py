"""Quality tickets (问题工单, yibenzhang.tickets): one ticket per dataset and problem, its
transitions, the exceptions accepted disputes record, and the notifications sent about it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=64), nullable=False),
        sa.Column("provider_code", sa.String(length=16), nullable=False),
        sa.Column("problem_key", sa.String(length=600), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("affected_rows", sa.Integer(), nullable=False),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.Column("suggested_fix", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=16), nullable=True),
        sa.Column("evidence_run_id", sa.String(length=64), nullable=True),
        sa.Column("first_run_id", sa.String(length=64), nullable=True),
        sa.Column("last_seen_run_id", sa.String(length=64), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_tickets")),
        sa.UniqueConstraint("dataset_id", "problem_key", name="uq_quality_tickets_dataset_id_problem_key"),
    )
    with op.batch_alter_table("quality_tickets", schema=None) as batch_op:
        for column in ("dataset_id", "provider_code", "state"):
            batch_op.create_index(batch_op.f(f"ix_quality_tickets_{column}"), [column], unique=False)

    op.create_table(
        "ticket_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["quality_tickets.id"],
                                name=op.f("fk_ticket_transitions_ticket_id_quality_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_transitions")),
    )
    with op.batch_alter_table("ticket_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_transitions_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticket_exceptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=64), nullable=False),
        sa.Column("problem_key", sa.String(length=600), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=False),
        sa.Column("accepted_by", sa.String(length=100), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["quality_tickets.id"],
                                name=op.f("fk_ticket_exceptions_ticket_id_quality_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_exceptions")),
    )
    with op.batch_alter_table("ticket_exceptions", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_exceptions_dataset_id_problem_key", ["dataset_id", "problem_key"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_exceptions_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticket_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["quality_tickets.id"],
                                name=op.f("fk_ticket_notifications_ticket_id_quality_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_notifications")),
    )
    with op.batch_alter_table("ticket_notifications", schema=None) as batch_op:
        for column in ("ticket_id", "channel", "recipient"):
            batch_op.create_index(batch_op.f(f"ix_ticket_notifications_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_notifications", schema=None) as batch_op:
        for column in ("recipient", "channel", "ticket_id"):
            batch_op.drop_index(batch_op.f(f"ix_ticket_notifications_{column}"))
    op.drop_table("ticket_notifications")
    with op.batch_alter_table("ticket_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_exceptions_ticket_id"))
        batch_op.drop_index("ix_ticket_exceptions_dataset_id_problem_key")
    op.drop_table("ticket_exceptions")
    with op.batch_alter_table("ticket_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_transitions_ticket_id"))
    op.drop_table("ticket_transitions")
    with op.batch_alter_table("quality_tickets", schema=None) as batch_op:
        for column in ("state", "provider_code", "dataset_id"):
            batch_op.drop_index(batch_op.f(f"ix_quality_tickets_{column}"))
    op.drop_table("quality_tickets")

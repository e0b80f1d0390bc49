"""Delivery facts: each file's detected delimiter, file-level problems of a run, and the source
files an append-only dataset has already loaded.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("file_loads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delimiter", sa.String(length=8), nullable=True))
    op.create_table(
        "run_problems",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.String(length=64), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_pk"], ["runs.id"], name=op.f("fk_run_problems_run_pk_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_problems")),
    )
    op.create_index(op.f("ix_run_problems_run_pk"), "run_problems", ["run_pk"], unique=False)
    op.create_index(op.f("ix_run_problems_dataset_id"), "run_problems", ["dataset_id"], unique=False)
    op.create_table(
        "source_files",
        sa.Column("dataset_id", sa.String(length=64), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", "file", name=op.f("pk_source_files")),
    )


def downgrade() -> None:
    op.drop_table("source_files")
    op.drop_index(op.f("ix_run_problems_dataset_id"), table_name="run_problems")
    op.drop_index(op.f("ix_run_problems_run_pk"), table_name="run_problems")
    op.drop_table("run_problems")
    with op.batch_alter_table("file_loads", schema=None) as batch_op:
        batch_op.drop_column("delimiter")

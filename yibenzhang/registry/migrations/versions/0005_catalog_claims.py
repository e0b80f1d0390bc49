"""Catalog outbox claims and input fingerprints: a row is sent by the one publisher holding its
lease (`claimed_by`, `claimed_until`), one pending row per dataset even under concurrent
enqueues, and `input_hash` / `recheck_at` so an unchanged republish builds no payloads.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PENDING_ONLY = sa.text("status = 'pending'")


def upgrade() -> None:
    # An older race could have left two pending rows for a dataset: the newest payload wins
    # (what CKAN would end up holding anyway), so the unique index below can be built.
    op.execute(
        "DELETE FROM catalog_outbox WHERE status = 'pending' AND id < "
        "(SELECT MAX(newer.id) FROM catalog_outbox AS newer "
        "WHERE newer.status = 'pending' AND newer.dataset_name = catalog_outbox.dataset_name)"
    )
    with op.batch_alter_table("catalog_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("input_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("recheck_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_catalog_outbox_pending_dataset_name", "catalog_outbox", ["dataset_name"], unique=True,
        sqlite_where=PENDING_ONLY, postgresql_where=PENDING_ONLY,
    )
    with op.batch_alter_table("catalog_published", schema=None) as batch_op:
        batch_op.add_column(sa.Column("input_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("recheck_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalog_published", schema=None) as batch_op:
        batch_op.drop_column("recheck_at")
        batch_op.drop_column("input_hash")
    op.drop_index("uq_catalog_outbox_pending_dataset_name", table_name="catalog_outbox")
    with op.batch_alter_table("catalog_outbox", schema=None) as batch_op:
        batch_op.drop_column("recheck_at")
        batch_op.drop_column("input_hash")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")

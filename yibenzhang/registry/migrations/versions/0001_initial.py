"""Governance records: registry (resources, registrations, transitions, code sequences),
pipeline run records (runs, file loads, check results, quality scores) and the catalog outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def _resource_registration_fks() -> list[sa.ForeignKeyConstraint]:
    if op.get_bind().dialect.name != "sqlite":
        return []
    return [
        sa.ForeignKeyConstraint([column], ["registrations.id"], name=op.f(f"fk_resources_{column}_registrations"))
        for column in ("approved_registration_id", "current_registration_id")
    ]


def upgrade() -> None:
    op.create_table('catalog_outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dataset_name', sa.String(length=100), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_outbox'))
    )
    with op.batch_alter_table('catalog_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_outbox_dataset_name'), ['dataset_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_outbox_status'), ['status'], unique=False)

    op.create_table('catalog_published',
    sa.Column('dataset_name', sa.String(length=100), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('dataset_name', name=op.f('pk_catalog_published'))
    )
    op.create_table('code_sequences',
    sa.Column('category_path', sa.String(length=32), nullable=False),
    sa.Column('provider_code', sa.String(length=16), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category_path', 'provider_code', name=op.f('pk_code_sequences'))
    )
    op.create_table('resources',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('resource_code', sa.String(length=64), nullable=True),
    sa.Column('provider_code', sa.String(length=16), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('current_registration_id', sa.Integer(), nullable=True),
    sa.Column('approved_registration_id', sa.Integer(), nullable=True),
    sa.Column('approved_version', sa.String(length=32), nullable=True),
    sa.Column('approved_hash', sa.String(length=64), nullable=True),
    sa.Column('approved_yaml', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    *_resource_registration_fks(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources')),
    sa.UniqueConstraint('resource_code', name=op.f('uq_resources_resource_code'))
    )
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_state'), ['state'], unique=False)

    op.create_table('runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('dataset_id', sa.String(length=64), nullable=False),
    sa.Column('contract_version', sa.String(length=32), nullable=True),
    sa.Column('contract_hash', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows_in', sa.Integer(), nullable=True),
    sa.Column('rows_loaded', sa.Integer(), nullable=True),
    sa.Column('rows_quarantined', sa.Integer(), nullable=True),
    sa.Column('ledger_version', sa.String(length=64), nullable=True),
    sa.Column('promoted', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs')),
    sa.UniqueConstraint('run_id', 'dataset_id', name='uq_runs_run_id_dataset_id')
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runs_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('check_results',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_pk', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.String(length=64), nullable=False),
    sa.Column('rule_id', sa.String(length=100), nullable=False),
    sa.Column('expectation_type', sa.String(length=100), nullable=True),
    sa.Column('column', sa.String(length=100), nullable=True),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('unexpected_count', sa.Integer(), nullable=True),
    sa.Column('element_count', sa.Integer(), nullable=True),
    sa.Column('sample', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['run_pk'], ['runs.id'], name=op.f('fk_check_results_run_pk_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_results'))
    )
    with op.batch_alter_table('check_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_results_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_results_run_pk'), ['run_pk'], unique=False)

    op.create_table('file_loads',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_pk', sa.Integer(), nullable=False),
    sa.Column('file', sa.String(length=500), nullable=False),
    sa.Column('rows_in', sa.Integer(), nullable=False),
    sa.Column('rows_loaded', sa.Integer(), nullable=False),
    sa.Column('rows_quarantined', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['run_pk'], ['runs.id'], name=op.f('fk_file_loads_run_pk_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_loads'))
    )
    with op.batch_alter_table('file_loads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_loads_run_pk'), ['run_pk'], unique=False)

    op.create_table('quality_scores',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_pk', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.String(length=64), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['run_pk'], ['runs.id'], name=op.f('fk_quality_scores_run_pk_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_scores'))
    )
    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_scores_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_scores_run_pk'), ['run_pk'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('contract_yaml', sa.Text(), nullable=False),
    sa.Column('contract_hash', sa.String(length=64), nullable=False),
    sa.Column('contract_version', sa.String(length=32), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by', sa.String(length=100), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['corrects_id'], ['registrations.id'], name=op.f('fk_registrations_corrects_id_registrations')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_registrations_resource_id_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_resource_id'), ['resource_id'], unique=False)

    # resources <-> registrations reference each other: PostgreSQL gets the resources side once
    # both tables exist; SQLite (no ALTER ... ADD CONSTRAINT) declares it inline above.
    if op.get_bind().dialect.name != "sqlite":
        for column in ("approved_registration_id", "current_registration_id"):
            op.create_foreign_key(
                op.f(f"fk_resources_{column}_registrations"), "resources", "registrations", [column], ["id"]
            )

    op.create_table('transitions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_transitions_registration_id_registrations')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_transitions_resource_id_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transitions'))
    )
    with op.batch_alter_table('transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transitions_resource_id'), ['resource_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transitions_resource_id'))

    op.drop_table('transitions')
    if op.get_bind().dialect.name != "sqlite":
        for column in ("approved_registration_id", "current_registration_id"):
            op.drop_constraint(op.f(f"fk_resources_{column}_registrations"), "resources", type_="foreignkey")
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_resource_id'))

    op.drop_table('registrations')
    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_scores_run_pk'))
        batch_op.drop_index(batch_op.f('ix_quality_scores_dataset_id'))

    op.drop_table('quality_scores')
    with op.batch_alter_table('file_loads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_loads_run_pk'))

    op.drop_table('file_loads')
    with op.batch_alter_table('check_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_results_run_pk'))
        batch_op.drop_index(batch_op.f('ix_check_results_dataset_id'))

    op.drop_table('check_results')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runs_dataset_id'))

    op.drop_table('runs')
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resources_state'))

    op.drop_table('resources')
    op.drop_table('code_sequences')
    op.drop_table('catalog_published')
    with op.batch_alter_table('catalog_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_catalog_outbox_dataset_name'))

    op.drop_table('catalog_outbox')

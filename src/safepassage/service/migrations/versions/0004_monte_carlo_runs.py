"""Monte Carlo runs of a plan (issue 13): the run (runs, seed, policy, disruptions) and its per-KPI P10/P50/P90 bands.

Revision ID: 0004_monte_carlo_runs
Revises: 0003_notifications
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_monte_carlo_runs'
down_revision = '0003_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monte_carlo_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('policy', sa.String(length=20), nullable=False),
    sa.Column('disruptions', sa.JSON(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_monte_carlo_run_plan_id_plan')),
    sa.ForeignKeyConstraint(['job_id'], ['plan_job.id'], name=op.f('fk_monte_carlo_run_job_id_plan_job')),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_monte_carlo_run_created_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monte_carlo_run'))
    )
    with op.batch_alter_table('monte_carlo_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monte_carlo_run_plan_id'), ['plan_id'], unique=False)

    op.create_table('monte_carlo_band',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kpi', sa.String(length=300), nullable=False),
    sa.Column('mean', sa.Float(), nullable=True),
    sa.Column('p10', sa.Float(), nullable=True),
    sa.Column('p50', sa.Float(), nullable=True),
    sa.Column('p90', sa.Float(), nullable=True),
    sa.Column('planned', sa.Float(), nullable=True),
    sa.Column('reached', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['monte_carlo_run.id'], name=op.f('fk_monte_carlo_band_run_id_monte_carlo_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monte_carlo_band'))
    )
    with op.batch_alter_table('monte_carlo_band', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monte_carlo_band_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('monte_carlo_band', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monte_carlo_band_run_id'))

    op.drop_table('monte_carlo_band')
    with op.batch_alter_table('monte_carlo_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monte_carlo_run_plan_id'))

    op.drop_table('monte_carlo_run')

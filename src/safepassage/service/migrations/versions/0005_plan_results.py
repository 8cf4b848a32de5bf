"""The stored result of each plan the engine makes (issue 13): table ``plan_result``, one JSON document per plan.

Plans stored before this revision have no row; readers plan their proposal again (``service.plan_results``).

Revision ID: 0005_plan_results
Revises: 0004_monte_carlo_runs
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_plan_results'
down_revision = '0004_monte_carlo_runs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plan_result',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_result_plan_id_plan')),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_plan_result'))
    )


def downgrade() -> None:
    op.drop_table('plan_result')

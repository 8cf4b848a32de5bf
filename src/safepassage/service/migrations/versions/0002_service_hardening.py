"""Service hardening: the audit log's Merkle tree edge and signed checkpoint, stored scenario summaries,
plan jobs; tokens issued before keyed (HMAC) token hashing are revoked.

Revision ID: 0002_service_hardening
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_service_hardening"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("tree_frontier", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("checkpoint", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("scenario") as batch:
        batch.add_column(sa.Column("summary", sa.JSON(), nullable=True))
    op.create_table(
        "plan_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("proposal", sa.String(length=200), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenario.id"], name=op.f("fk_plan_job_scenario_id_scenario")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_plan_job_plan_id_plan")),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_plan_job_created_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_job")),
    )
    op.create_index(op.f("ix_plan_job_status"), "plan_job", ["status"], unique=False)
    # Token secrets were argon2 hashes; they are now HMAC-SHA256 under the deployment's key. Old tokens
    # cannot be checked the new way: revoke them (users sign in again).
    op.execute(sa.text("UPDATE api_token SET revoked = :yes").bindparams(yes=True))


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_job_status"), table_name="plan_job")
    op.drop_table("plan_job")
    with op.batch_alter_table("scenario") as batch:
        batch.drop_column("summary")
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("checkpoint")
        batch.drop_column("tree_frontier")

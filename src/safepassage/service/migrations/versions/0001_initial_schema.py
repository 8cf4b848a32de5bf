"""Initial schema: directory, plans and movements, notifications and acknowledgments, events, idempotency, audit chain.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 02:09:05.436560
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=60), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry'))
    )
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('name', name=op.f('uq_organisation_name'))
    )
    op.create_table('party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party')),
    sa.UniqueConstraint('name', name=op.f('uq_party_name'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_app_user_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_app_user_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_party_id'), ['party_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_idempotency_record_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_idempotency_record'))
    )
    op.create_table('scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=400), nullable=False),
    sa.Column('yaml_text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_scenario_created_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario'))
    )
    op.create_table('plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('proposal', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('parent_plan_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_plan_created_by_app_user')),
    sa.ForeignKeyConstraint(['parent_plan_id'], ['plan.id'], name=op.f('fk_plan_parent_plan_id_plan')),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_plan_scenario_id_scenario')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan'))
    )
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_scenario_id'), ['scenario_id'], unique=False)

    op.create_table('movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('origin', sa.String(length=100), nullable=False),
    sa.Column('destination', sa.String(length=100), nullable=False),
    sa.Column('route', sa.JSON(), nullable=False),
    sa.Column('departs', sa.DateTime(), nullable=False),
    sa.Column('arrives', sa.DateTime(), nullable=False),
    sa.Column('trucks', sa.Integer(), nullable=False),
    sa.Column('cargo', sa.JSON(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('origin_zone', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_movement_created_by_app_user')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_movement_plan_id_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movement'))
    )
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_movement_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_movement_status'), ['status'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('movement_id', sa.Integer(), nullable=True),
    sa.Column('place_id', sa.String(length=100), nullable=True),
    sa.Column('road_id', sa.String(length=100), nullable=True),
    sa.Column('quantities_good', sa.JSON(), nullable=False),
    sa.Column('quantities_damaged', sa.JSON(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=True),
    sa.Column('incident_category', sa.String(length=60), nullable=True),
    sa.Column('release_of', sa.String(length=20), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['movement_id'], ['movement.id'], name=op.f('fk_event_movement_id_movement')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_event_recorded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_movement_id'), ['movement_id'], unique=False)

    op.create_table('movement_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('movement_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['app_user.id'], name=op.f('fk_movement_status_change_changed_by_app_user')),
    sa.ForeignKeyConstraint(['movement_id'], ['movement.id'], name=op.f('fk_movement_status_change_movement_id_movement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movement_status_change'))
    )
    with op.batch_alter_table('movement_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_movement_status_change_movement_id'), ['movement_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('movement_id', sa.Integer(), nullable=True),
    sa.Column('site', sa.JSON(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('notice_hours', sa.Float(), nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('valid_until', sa.DateTime(), nullable=False),
    sa.Column('ack_due', sa.DateTime(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_notification_created_by_app_user')),
    sa.ForeignKeyConstraint(['movement_id'], ['movement.id'], name=op.f('fk_notification_movement_id_movement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_ack_due'), ['ack_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_movement_id'), ['movement_id'], unique=False)

    op.create_table('acknowledgment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_acknowledgment_notification_id_notification')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_acknowledgment_party_id_party')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_acknowledgment_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgment'))
    )
    with op.batch_alter_table('acknowledgment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acknowledgment_notification_id'), ['notification_id'], unique=False)

    op.create_table('notification_party',
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('latest_decision', sa.String(length=20), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_notification_party_notification_id_notification')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_notification_party_party_id_party')),
    sa.PrimaryKeyConstraint('notification_id', 'party_id', name=op.f('pk_notification_party'))
    )
    with op.batch_alter_table('notification_party', schema=None) as batch_op:
        batch_op.create_index('ix_notification_party_party', ['party_id', 'notification_id'], unique=False)


    # The chain starts from one head row (seq 0, the genesis hash) that every writer locks to append.
    head = sa.table('audit_head', sa.column('id', sa.Integer), sa.column('seq', sa.Integer), sa.column('entry_hash', sa.String))
    op.bulk_insert(head, [{'id': 1, 'seq': 0, 'entry_hash': '0' * 64}])


def downgrade() -> None:
    with op.batch_alter_table('notification_party', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_party_party')

    op.drop_table('notification_party')
    with op.batch_alter_table('acknowledgment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acknowledgment_notification_id'))

    op.drop_table('acknowledgment')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_movement_id'))
        batch_op.drop_index(batch_op.f('ix_notification_ack_due'))

    op.drop_table('notification')
    with op.batch_alter_table('movement_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_movement_status_change_movement_id'))

    op.drop_table('movement_status_change')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_movement_id'))
        batch_op.drop_index(batch_op.f('ix_event_kind'))

    op.drop_table('event')
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_movement_status'))
        batch_op.drop_index(batch_op.f('ix_movement_plan_id'))

    op.drop_table('movement')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_scenario_id'))

    op.drop_table('plan')
    op.drop_table('scenario')
    op.drop_table('idempotency_record')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_party_id'))

    op.drop_table('app_user')
    op.drop_table('party')
    op.drop_table('organisation')
    op.drop_table('audit_head')
    op.drop_table('audit_entry')

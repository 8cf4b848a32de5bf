"""Humanitarian notifications (issue 9): HNS versions, confirmations, responses, leg clearances, outcomes, static sites, incident links.

Revision ID: 0003_notifications
Revises: 0001
Create Date: 2026-12-06 23:50:23.909030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_notifications'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('static_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('site_kind', sa.String(length=40), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('valid_until', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_static_site_created_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_static_site'))
    )
    op.create_table('hns_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('movement_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('scenario_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('window_end', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('emergency', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('change_reason', sa.Text(), nullable=False),
    sa.Column('diff', sa.JSON(), nullable=True),
    sa.Column('diff_base_id', sa.Integer(), nullable=True),
    sa.Column('receipt_due', sa.DateTime(), nullable=True),
    sa.Column('dissemination_due', sa.DateTime(), nullable=True),
    sa.Column('notice', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_by', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_hns_notification_created_by_app_user')),
    sa.ForeignKeyConstraint(['movement_id'], ['movement.id'], name=op.f('fk_hns_notification_movement_id_movement')),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_hns_notification_scenario_id_scenario')),
    sa.ForeignKeyConstraint(['sent_by'], ['app_user.id'], name=op.f('fk_hns_notification_sent_by_app_user')),
    sa.ForeignKeyConstraint(['site_id'], ['static_site.id'], name=op.f('fk_hns_notification_site_id_static_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hns_notification'))
    )
    with op.batch_alter_table('hns_notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hns_notification_movement_id'), ['movement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hns_notification_series_id'), ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hns_notification_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hns_notification_state'), ['state'], unique=False)

    op.create_table('movement_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('movement_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('checkpoint_holds', sa.JSON(), nullable=False),
    sa.Column('held_minutes', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['movement_id'], ['movement.id'], name=op.f('fk_movement_outcome_movement_id_movement')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_movement_outcome_recorded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movement_outcome'))
    )
    with op.batch_alter_table('movement_outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_movement_outcome_movement_id'), ['movement_id'], unique=False)

    op.create_table('hns_addressee',
    sa.Column('hns_notification_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('receipt_at', sa.DateTime(), nullable=True),
    sa.Column('receipt_by', sa.Integer(), nullable=True),
    sa.Column('dissemination_at', sa.DateTime(), nullable=True),
    sa.Column('dissemination_by', sa.Integer(), nullable=True),
    sa.Column('dissemination_note', sa.Text(), nullable=False),
    sa.Column('response', sa.String(length=40), nullable=True),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('receipt_escalated_at', sa.DateTime(), nullable=True),
    sa.Column('dissemination_escalated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dissemination_by'], ['app_user.id'], name=op.f('fk_hns_addressee_dissemination_by_app_user')),
    sa.ForeignKeyConstraint(['hns_notification_id'], ['hns_notification.id'], name=op.f('fk_hns_addressee_hns_notification_id_hns_notification')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_hns_addressee_party_id_party')),
    sa.ForeignKeyConstraint(['receipt_by'], ['app_user.id'], name=op.f('fk_hns_addressee_receipt_by_app_user')),
    sa.PrimaryKeyConstraint('hns_notification_id', 'party_id', name=op.f('pk_hns_addressee'))
    )
    with op.batch_alter_table('hns_addressee', schema=None) as batch_op:
        batch_op.create_index('ix_hns_addressee_party', ['party_id', 'hns_notification_id'], unique=False)

    op.create_table('hns_leg_clearance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hns_notification_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('leg_index', sa.Integer(), nullable=False),
    sa.Column('light', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hns_notification_id'], ['hns_notification.id'], name=op.f('fk_hns_leg_clearance_hns_notification_id_hns_notification')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_hns_leg_clearance_party_id_party')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_hns_leg_clearance_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hns_leg_clearance'))
    )
    with op.batch_alter_table('hns_leg_clearance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hns_leg_clearance_hns_notification_id'), ['hns_notification_id'], unique=False)

    op.create_table('hns_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hns_notification_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('response', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=True),
    sa.Column('new_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hns_notification_id'], ['hns_notification.id'], name=op.f('fk_hns_response_hns_notification_id_hns_notification')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_hns_response_party_id_party')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_hns_response_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hns_response'))
    )
    with op.batch_alter_table('hns_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hns_response_hns_notification_id'), ['hns_notification_id'], unique=False)

    op.create_table('incident_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('hns_notification_id', sa.Integer(), nullable=False),
    sa.Column('distance_km', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_incident_link_event_id_event')),
    sa.ForeignKeyConstraint(['hns_notification_id'], ['hns_notification.id'], name=op.f('fk_incident_link_hns_notification_id_hns_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_link'))
    )
    with op.batch_alter_table('incident_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_link_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_link_hns_notification_id'), ['hns_notification_id'], unique=False)

    op.create_table('incident_location',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('radius_km', sa.Float(), nullable=False),
    sa.Column('margin_minutes', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_incident_location_event_id_event')),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_incident_location'))
    )


def downgrade() -> None:
    op.drop_table('incident_location')
    with op.batch_alter_table('incident_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_link_hns_notification_id'))
        batch_op.drop_index(batch_op.f('ix_incident_link_event_id'))

    op.drop_table('incident_link')
    with op.batch_alter_table('hns_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hns_response_hns_notification_id'))

    op.drop_table('hns_response')
    with op.batch_alter_table('hns_leg_clearance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hns_leg_clearance_hns_notification_id'))

    op.drop_table('hns_leg_clearance')
    with op.batch_alter_table('hns_addressee', schema=None) as batch_op:
        batch_op.drop_index('ix_hns_addressee_party')

    op.drop_table('hns_addressee')
    with op.batch_alter_table('movement_outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_movement_outcome_movement_id'))

    op.drop_table('movement_outcome')
    with op.batch_alter_table('hns_notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hns_notification_state'))
        batch_op.drop_index(batch_op.f('ix_hns_notification_site_id'))
        batch_op.drop_index(batch_op.f('ix_hns_notification_series_id'))
        batch_op.drop_index(batch_op.f('ix_hns_notification_movement_id'))

    op.drop_table('hns_notification')
    op.drop_table('static_site')

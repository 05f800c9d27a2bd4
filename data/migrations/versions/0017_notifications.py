"""notifications: a transactional outbox and each person's choice of channels and digest

Messages (an invitation, an offer, an approval asked, a decision, an assignment, a lapsed
invitation or offer, a digest of new matches) are written to `notification_outbox` in the
transaction of the event that causes them; a worker claims, sends and marks each one.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 02:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notification_preferences',
        sa.Column('employee_external_id', sa.String(length=64), nullable=False),
        sa.Column('channels', sa.JSON(), nullable=False),
        sa.Column('digest', sa.String(length=10), nullable=False),
        sa.Column('quiet', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('slack_webhook_url', sa.Text(), nullable=True),
        sa.Column('teams_webhook_url', sa.Text(), nullable=True),
        sa.Column('last_digest_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('employee_external_id'),
    )
    op.create_table(
        'notification_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=20), nullable=False),
        sa.Column('recipient_external_id', sa.String(length=64), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('link', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_notification_outbox_due', 'notification_outbox', ['status', 'next_attempt_at']
    )
    op.create_index(
        'ix_notification_outbox_recipient_external_id',
        'notification_outbox',
        ['recipient_external_id'],
    )


def downgrade() -> None:
    op.drop_index('ix_notification_outbox_recipient_external_id', 'notification_outbox')
    op.drop_index('ix_notification_outbox_due', 'notification_outbox')
    op.drop_table('notification_outbox')
    op.drop_table('notification_preferences')

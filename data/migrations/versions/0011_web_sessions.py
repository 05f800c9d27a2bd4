"""server-side web sessions: the sign-in cookie holds a random id, not the bearer token

`web_sessions` keeps the keyed digest of each session id, the digest of the token signed in
with (the token's state decides the session's on every request; revoking it ends them), and
the session's expiry. Signing out deletes the row. Cookies holding a token from before this
revision are simply no session: their holders sign in again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest')
    )
    op.create_index(op.f('ix_web_sessions_token_digest'), 'web_sessions', ['token_digest'], unique=False)
    op.create_index(op.f('ix_web_sessions_expires_at'), 'web_sessions', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_web_sessions_expires_at'), table_name='web_sessions')
    op.drop_index(op.f('ix_web_sessions_token_digest'), table_name='web_sessions')
    op.drop_table('web_sessions')

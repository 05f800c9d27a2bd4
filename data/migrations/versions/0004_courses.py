"""courses and the skills they teach

A course catalog for learning recommendations ("close the gap"): each course teaches one or
more skills from a level (0 = none) up to a level. Also indexes opportunity_skills by skill,
which recommendations use to find open gigs and mentorships that build a skill on the job.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:45:21.944951
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_id')
    )
    op.create_table('course_skills',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.String(length=96), nullable=False),
    sa.Column('level_from', sa.Integer(), nullable=False),
    sa.Column('level_to', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.skill_id'], ),
    sa.PrimaryKeyConstraint('course_id', 'skill_id')
    )
    op.create_index(op.f('ix_course_skills_skill_id'), 'course_skills', ['skill_id'], unique=False)
    op.create_index('ix_opportunity_skills_skill_id', 'opportunity_skills', ['skill_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_opportunity_skills_skill_id', table_name='opportunity_skills')
    op.drop_index(op.f('ix_course_skills_skill_id'), table_name='course_skills')
    op.drop_table('course_skills')
    op.drop_table('courses')

"""indexes that let the daily scans skip quiet customers: a team's wins and losses read from its own rows
(lifecycle: (team_id, outcome, customer_id, occurred_at)), and the customers whose birthday is near (solar and
lunar "MM-DD" columns), instead of every customer of every owner

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:30:00
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_interaction_team_outcome_customer_time', 'interaction', ['team_id', 'outcome', 'customer_id', 'occurred_at'], unique=False)
    op.create_index('ix_customer_birthday', 'customer', ['birthday'], unique=False)
    op.create_index('ix_customer_lunar_birthday', 'customer', ['lunar_birthday'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_customer_lunar_birthday', table_name='customer')
    op.drop_index('ix_customer_birthday', table_name='customer')
    op.drop_index('ix_interaction_team_outcome_customer_time', table_name='interaction')

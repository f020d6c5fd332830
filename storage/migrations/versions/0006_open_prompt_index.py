"""open typed questions: a partial index, so finding the one waiting in a chat costs the same after any number of past prompts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-11 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OPEN_TEXT = sa.text("status = 'open' AND kind IN ('name_customer', 'change_date')")  # as storage/messaging.py _OPEN_TEXT


def upgrade() -> None:
    op.create_index('ix_prompt_open_text', 'prompt', ['member_id', 'platform', 'chat_id', 'created_at'], unique=False, sqlite_where=OPEN_TEXT, postgresql_where=OPEN_TEXT)


def downgrade() -> None:
    op.drop_index('ix_prompt_open_text', table_name='prompt')

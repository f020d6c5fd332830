"""open typed questions include "Create …?": the next message, when it is a note, drops that question (issue 14), so
finding it must stay one probe of the partial index (its condition gains 'create_customer')

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 17:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OPEN_TEXT = sa.text("status = 'open' AND kind IN ('name_customer', 'change_date', 'create_customer')")  # as storage/models.py OPEN_TEXT_PROMPTS
OLD_OPEN_TEXT = sa.text("status = 'open' AND kind IN ('name_customer', 'change_date')")


def upgrade() -> None:
    op.drop_index('ix_prompt_open_text', table_name='prompt')
    op.create_index('ix_prompt_open_text', 'prompt', ['member_id', 'platform', 'chat_id', 'created_at'], unique=False, sqlite_where=OPEN_TEXT, postgresql_where=OPEN_TEXT)


def downgrade() -> None:
    op.drop_index('ix_prompt_open_text', table_name='prompt')
    op.create_index('ix_prompt_open_text', 'prompt', ['member_id', 'platform', 'chat_id', 'created_at'], unique=False, sqlite_where=OLD_OPEN_TEXT, postgresql_where=OLD_OPEN_TEXT)

"""scan columns: per-customer contact figures for the daily scans, digest indexes

customer.contact_count / first_contact_at / last_risk are kept by storage.crm.touch_customer (the
usual gap between contacts and an open risk without scanning interactions); customer.nagged_at is
when a nag about the customer was first sent (escalation into the manager's digest). Existing rows
are filled from their interactions here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:22:33.534909
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('first_contact_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_risk', storage.types.JSONList(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('nagged_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_customer_owner_created', ['owner_id', 'created_at'], unique=False)
        batch_op.create_index('ix_customer_owner_stage', ['owner_id', 'stage'], unique=False)

    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.create_index('ix_interaction_author_time', ['author_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_interaction_outcome_customer_time', ['outcome', 'customer_id', 'occurred_at'], unique=False)

    # fill the new columns from the interactions already stored (same values touch_customer keeps)
    op.execute(
        """
        UPDATE customer SET
            contact_count = (SELECT count(*) FROM interaction i WHERE i.customer_id = customer.id),
            first_contact_at = (SELECT min(i.occurred_at) FROM interaction i WHERE i.customer_id = customer.id),
            last_risk = coalesce((
                SELECT i.risk FROM interaction i
                WHERE i.customer_id = customer.id AND i.occurred_at = customer.last_contact_at AND i.risk <> '[]'
                ORDER BY i.id DESC LIMIT 1
            ), '[]')
        WHERE customer.id IN (SELECT DISTINCT customer_id FROM interaction WHERE customer_id IS NOT NULL)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_interaction_outcome_customer_time')
        batch_op.drop_index('ix_interaction_author_time')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_owner_stage')
        batch_op.drop_index('ix_customer_owner_created')
        batch_op.drop_column('nagged_at')
        batch_op.drop_column('last_risk')
        batch_op.drop_column('first_contact_at')
        batch_op.drop_column('contact_count')


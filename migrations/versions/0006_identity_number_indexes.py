"""index persons by personnummer and samordningsnummer

Payment imports match rows to persons by identity number, and recording a number
checks that no other person has it: both look persons up by these columns.

Revision ID: 0006_identity_number_indexes
Revises: 0005_temporary_protection
Create Date: 2026-11-23 12:55:00

"""
from alembic import op


revision = '0006_identity_number_indexes'
down_revision = '0005_temporary_protection'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_personnummer'), ['personnummer'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_person_samordningsnummer'), ['samordningsnummer'], unique=False
        )


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_samordningsnummer'))
        batch_op.drop_index(batch_op.f('ix_person_personnummer'))

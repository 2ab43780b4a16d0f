"""temporary protection: move-in/out, permit dates, case links, scenario, kommuntal

Revision ID: 0005_temporary_protection
Revises: 0004_reimbursements
Create Date: 2026-11-23 12:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_temporary_protection'
down_revision = '0004_reimbursements'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('move_in_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('move_out_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('previous_household_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_household_previous_household_id'), ['previous_household_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_household_previous_household_id_household'), 'household', ['previous_household_id'], ['id'])

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('samordningsnummer_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('permit_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('previous_person_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_person_previous_person_id'), ['previous_person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_person_previous_person_id_person'), 'person', ['previous_person_id'], ['id'])

    op.create_table('protection_end_scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('protection_end', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_protection_end_scenario_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'], name=op.f('fk_protection_end_scenario_set_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protection_end_scenario'))
    )
    with op.batch_alter_table('protection_end_scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protection_end_scenario_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_protection_end_scenario_set_at'), ['set_at'], unique=False)

    op.create_table('settlement_quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('persons >= 0', name=op.f('ck_settlement_quota_persons_not_negative')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_settlement_quota_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_settlement_quota_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_quota')),
    sa.UniqueConstraint('municipality_id', 'year', name=op.f('uq_settlement_quota_municipality_id'))
    )
    with op.batch_alter_table('settlement_quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_quota_municipality_id'), ['municipality_id'], unique=False)


def downgrade():
    with op.batch_alter_table('settlement_quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_quota_municipality_id'))
    op.drop_table('settlement_quota')
    with op.batch_alter_table('protection_end_scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protection_end_scenario_set_at'))
        batch_op.drop_index(batch_op.f('ix_protection_end_scenario_municipality_id'))
    op.drop_table('protection_end_scenario')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_person_previous_person_id_person'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_person_previous_person_id'))
        batch_op.drop_column('previous_person_id')
        batch_op.drop_column('permit_date')
        batch_op.drop_column('samordningsnummer_date')

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_household_previous_household_id_household'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_household_previous_household_id'))
        batch_op.drop_column('previous_household_id')
        batch_op.drop_column('move_out_date')
        batch_op.drop_column('move_in_date')

"""versions for optimistic concurrency, identity numbers unique, history grouped by operation

Household, person, task and received payment get a version, raised on every update, that
clients send back so a stale edit is refused instead of silently overwriting. A personnummer
or samordningsnummer belongs to at most one person of a municipality. Change events are
grouped under the operation (change set) that caused them.

A database that already holds two persons with one number cannot take the unique indexes:
the upgrade stops and names them, for someone to correct by hand (which person holds the
number is not something a migration can decide).

Revision ID: 0007_versions_unique_numbers
Revises: 0006_identity_number_indexes
Create Date: 2026-12-01 21:20:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0007_versions_unique_numbers'
down_revision = '0006_identity_number_indexes'
branch_labels = None
depends_on = None

VERSIONED = ('household', 'person', 'task', 'received_payment')


def _refuse_duplicates(column):
    rows = op.get_bind().execute(sa.text(
        f"SELECT municipality_id, {column}, count(*) FROM person "
        f"WHERE {column} IS NOT NULL GROUP BY municipality_id, {column} HAVING count(*) > 1"
    )).fetchall()
    if rows:
        listed = ', '.join(f'municipality {m}: {n} ({c} persons)' for m, n, c in rows[:20])
        raise RuntimeError(
            f'Cannot make {column} unique: these numbers are held by more than one person '
            f'({listed}). Correct them, then run the upgrade again.'
        )


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('version', sa.Integer(), nullable=False, server_default='1')
            )
    for column in ('personnummer', 'samordningsnummer'):
        _refuse_duplicates(column)
        op.create_index(
            f'uq_person_{column}',
            'person',
            ['municipality_id', column],
            unique=True,
            sqlite_where=sa.text(f'{column} IS NOT NULL'),
            postgresql_where=sa.text(f'{column} IS NOT NULL'),
        )
    op.create_table(
        'change_set',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['actor_id'], ['user_account.id'], name=op.f('fk_change_set_actor_id_user_account')
        ),
        sa.ForeignKeyConstraint(
            ['household_id'], ['household.id'], name=op.f('fk_change_set_household_id_household')
        ),
        sa.ForeignKeyConstraint(
            ['municipality_id'], ['municipality.id'],
            name=op.f('fk_change_set_municipality_id_municipality'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_set')),
    )
    with op.batch_alter_table('change_set', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_set_household_id'), ['household_id'])
        batch_op.create_index(batch_op.f('ix_change_set_at'), ['at'])
        batch_op.create_index(batch_op.f('ix_change_set_municipality_id'), ['municipality_id'])
    with op.batch_alter_table('change_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_set_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_change_event_change_set_id'), ['change_set_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_change_event_change_set_id_change_set'),
            'change_set', ['change_set_id'], ['id'],
        )


def downgrade():
    with op.batch_alter_table('change_event', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_change_event_change_set_id_change_set'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_change_event_change_set_id'))
        batch_op.drop_column('change_set_id')
    op.drop_table('change_set')
    for column in ('personnummer', 'samordningsnummer'):
        op.drop_index(f'uq_person_{column}', table_name='person')
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')

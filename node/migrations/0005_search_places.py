from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_federation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IndexJournal',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('object_id', fields.BigIntField()),
                ('op', fields.CharField(default='upsert', max_length=8)),
            ],
            options={'table': 'index_journal', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One pending index change (kind, object id, upsert or delete), removed once the index has it.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Place',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('locality', fields.CharField(default='', max_length=200)),
                ('country', fields.CharField(default='', max_length=100)),
                ('lat', fields.FloatField()),
                ('lon', fields.FloatField()),
                ('popularity', fields.IntField(default=0)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='places_added', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'places', 'app': 'models', 'indexes': [Index(fields=['lat', 'lon'])], 'pk_attr': 'id', 'table_description': 'A named point people post from: a cafe, a park, a town. Popularity counts the posts tagged with it.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='SearchHistory',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='search_history', on_delete=OnDelete.CASCADE)),
                ('query', fields.CharField(max_length=500)),
                ('searched_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'search_history', 'app': 'models', 'unique_together': (('account', 'query'),), 'indexes': [Index(fields=['account_id', 'searched_at'])], 'pk_attr': 'id', 'table_description': 'A query a user searched for, most recent first, one row per distinct query.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='StatusPlace',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('status', fields.OneToOneField('models.Status', source_field='status_id', db_constraint=True, to_field='id', related_name='place_link', on_delete=OnDelete.CASCADE)),
                ('place', fields.ForeignKeyField('models.Place', source_field='place_id', db_constraint=True, to_field='id', related_name='status_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'status_places', 'app': 'models', 'indexes': [Index(fields=['place_id', 'status_id'])], 'pk_attr': 'id', 'table_description': 'Where a status was posted from (at most one place per status), kept apart from the status row.'},
            bases=['Entity'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_conversations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Filter',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='filters', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=256)),
                ('context', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('action', fields.CharField(default='warn', max_length=8)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'filters', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A named filter: context lists where it applies, action what happens to what it matches'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='FilterKeyword',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('custom_filter', fields.ForeignKeyField('models.Filter', source_field='custom_filter_id', db_constraint=True, to_field='id', related_name='keywords', on_delete=OnDelete.CASCADE)),
                ('keyword', fields.CharField(max_length=512)),
                ('whole_word', fields.BooleanField(default=True)),
            ],
            options={'table': 'filter_keywords', 'app': 'models', 'indexes': [Index(fields=['custom_filter_id', 'id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='FilterStatus',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('custom_filter', fields.ForeignKeyField('models.Filter', source_field='custom_filter_id', db_constraint=True, to_field='id', related_name='statuses', on_delete=OnDelete.CASCADE)),
                ('status_id', fields.BigIntField()),
            ],
            options={'table': 'filter_statuses', 'app': 'models', 'unique_together': (('custom_filter', 'status_id'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
    ]

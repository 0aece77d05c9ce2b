from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_lists')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='conversations', on_delete=OnDelete.CASCADE)),
                ('root_status_id', fields.BigIntField()),
                ('participant_ids', fields.CharField(default='', max_length=1024)),
                ('status_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('last_status_id', fields.BigIntField()),
                ('unread', fields.BooleanField(default=False)),
            ],
            options={'table': 'conversations', 'app': 'models', 'unique_together': (('account', 'root_status_id', 'participant_ids'),), 'indexes': [Index(fields=['account_id', 'last_status_id'])], 'pk_attr': 'id', 'table_description': "One account's view of one direct thread with one set of other participants"},
            bases=['Entity'],
        ),
    ]

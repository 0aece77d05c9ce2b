from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_notification_channels')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ScheduledStatus',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='scheduled_statuses', on_delete=OnDelete.CASCADE)),
                ('scheduled_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('params', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'scheduled_statuses', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': "A status to publish at scheduled_at: params holds what was posted, as Mastodon's entity shows it"},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='MediaAttachment',
            name='scheduled_status_id',
            field=fields.BigIntField(null=True),
        ),
    ]

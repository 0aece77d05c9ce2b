"""Account archives: a zip of one's AS2 documents and media, requested and built in the background."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0028_account_imports')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountArchive',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='archives', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('file_path', fields.CharField(default='', max_length=512)),
                ('file_size', fields.BigIntField(default=0)),
                ('total_items', fields.IntField(default=0)),
                ('processed_items', fields.IntField(default=0)),
                ('error', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_archives', 'app': 'models', 'indexes': [Index(fields=['account_id', 'created_at']), Index(fields=['state', 'id'])], 'pk_attr': 'id', 'table_description': "A requested archive of one's account (a zip of AS2 documents and media), built in the background"},
            bases=['Entity'],
        ),
    ]

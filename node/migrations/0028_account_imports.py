"""Account data imports (Mastodon CSV files) and their rows, applied in the background."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0027_custom_emoji')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountImport',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='imports', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('mode', fields.CharField(max_length=16)),
                ('state', fields.CharField(default='running', max_length=16)),
                ('filename', fields.CharField(default='', max_length=255)),
                ('total_items', fields.IntField(default=0)),
                ('processed_items', fields.IntField(default=0)),
                ('imported_items', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_imports', 'app': 'models', 'indexes': [Index(fields=['state', 'id'])], 'pk_attr': 'id', 'table_description': 'An uploaded CSV being applied in the background, with its progress'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='AccountImportRow',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account_import', fields.ForeignKeyField('models.AccountImport', source_field='account_import_id', db_constraint=True, to_field='id', related_name='rows', on_delete=OnDelete.CASCADE)),
                ('data', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('result_id', fields.BigIntField(null=True)),
                ('error', fields.CharField(default='', max_length=255)),
            ],
            options={'table': 'account_import_rows', 'app': 'models', 'indexes': [Index(fields=['account_import_id', 'state'])], 'pk_attr': 'id', 'table_description': 'One line of an import: what it asks for, and once applied what it came to'},
            bases=['Entity'],
        ),
    ]

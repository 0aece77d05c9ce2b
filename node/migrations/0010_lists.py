from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_scheduled_statuses')]

    initial = False

    operations = [
        ops.CreateModel(
            name='List',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='lists', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=256)),
                ('replies_policy', fields.CharField(default='list', max_length=16)),
                ('exclusive', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lists', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A named group of followed accounts: replies_policy picks which replies its timeline shows'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ListAccount',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('list', fields.ForeignKeyField('models.List', source_field='list_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='in_lists', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'list_accounts', 'app': 'models', 'unique_together': (('list', 'account'),), 'indexes': [Index(fields=['account_id', 'list_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
    ]

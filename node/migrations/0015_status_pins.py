from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0014_account_preferences')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatusPin',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='status_pins', on_delete=OnDelete.CASCADE)),
                ('status', fields.ForeignKeyField('models.Status', source_field='status_id', db_constraint=True, to_field='id', related_name='pins', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'status_pins', 'app': 'models', 'unique_together': (('account', 'status'),), 'pk_attr': 'id', 'table_description': 'A post its author pinned to their profile (local pins, and remote ones read from `featured`).'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Account',
            name='featured_url',
            field=fields.CharField(default='', max_length=1024),
        ),
    ]

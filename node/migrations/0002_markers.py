from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Marker',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='markers', on_delete=OnDelete.CASCADE)),
                ('timeline', fields.CharField(max_length=32)),
                ('last_read_id', fields.BigIntField(default=0)),
                ('version', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'markers', 'app': 'models', 'unique_together': (('account', 'timeline'),), 'pk_attr': 'id', 'table_description': 'The last read id of one timeline of one account, with a version that counts its updates.'},
            bases=['Entity'],
        ),
    ]

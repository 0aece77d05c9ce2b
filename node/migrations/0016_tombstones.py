from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_status_pins')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Tombstone',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=1024)),
                ('account_id', fields.BigIntField(null=True)),
                ('former_type', fields.CharField(default='Note', max_length=32)),
                ('deleted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tombstones', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An ActivityPub id that was deleted (a remote post or actor by its author, or one of ours): it is'},
            bases=['Entity'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0016_tombstones')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PendingEffect',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=64)),
                ('payload', fields.TextField(unique=False)),
                ('context', fields.TextField(default='{}', unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pending_effects', 'app': 'models', 'indexes': [Index(fields=['next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One event whose durable subscribers have not run yet (its payload kept as a snapshot).'},
            bases=['Entity'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_idempotency_keys')]

    initial = False

    operations = [
        ops.RemoveField(model_name='IdempotencyKey', name='id'),
        ops.AddField(
            model_name='IdempotencyKey',
            name='id',
            field=fields.BigIntField(primary_key=True, default=snowflake, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='IdempotencyKey',
            index=Index(fields=['id']),
        ),
        ops.RemoveIndex(
            model_name='PendingEffect',
            name=None,
            fields=['id'],
        ),
        ops.RemoveField(model_name='PendingEffect', name='id'),
        ops.AddField(
            model_name='PendingEffect',
            name='id',
            field=fields.BigIntField(primary_key=True, default=snowflake, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='PendingEffect',
            index=Index(fields=['id']),
        ),
    ]

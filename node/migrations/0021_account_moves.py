"""Account migration: aliases (alsoKnownAs) and where an account moved to (Move)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0020_timeline_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='also_known_as',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Account',
            name='moved_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='moved_to_uri',
            field=fields.CharField(null=True, max_length=1024),
        ),
    ]

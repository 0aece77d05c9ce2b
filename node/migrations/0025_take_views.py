"""Take views: one row per viewer and Take, so a play counts once per session, token or browser."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0024_stories')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TakeView',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('take_id', fields.BigIntField()),
                ('viewer', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'take_views', 'app': 'models', 'unique_together': (('take_id', 'viewer'),), 'pk_attr': 'id', 'table_description': 'Who has been counted as watching a Take: one row per viewer and Take, so a view counts once'},
            bases=['Entity'],
        ),
    ]

"""Custom emoji (local and remote, one per domain and shortcode) and the emoji an account's profile uses."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0026_instance_info')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomEmoji',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('shortcode', fields.CharField(max_length=64)),
                ('domain', fields.CharField(default='', max_length=253)),
                ('uri', fields.CharField(default='', max_length=1024)),
                ('image_remote_url', fields.CharField(default='', max_length=1024)),
                ('image_path', fields.CharField(default='', max_length=512)),
                ('content_type', fields.CharField(default='', max_length=64)),
                ('image_size', fields.IntField(default=0)),
                ('category', fields.CharField(default='', max_length=64)),
                ('visible_in_picker', fields.BooleanField(default=True)),
                ('disabled', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'custom_emojis', 'app': 'models', 'unique_together': (('shortcode', 'domain'),), 'pk_attr': 'id', 'table_description': 'A :shortcode: image, local (domain "") or another server\'s, with its picture cached in our media'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Account',
            name='emojis_json',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]

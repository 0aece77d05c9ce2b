"""Preview cards: one row per linked URL (fetched by a job after the post is written) and the card each status shows."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0021_account_moves')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PreviewCard',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('url', fields.CharField(unique=True, max_length=2048)),
                ('state', fields.CharField(default='pending', max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('error', fields.CharField(default='', max_length=500)),
                ('fetched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('type', fields.CharField(default='link', max_length=8)),
                ('title', fields.CharField(default='', max_length=300)),
                ('description', fields.TextField(default='', unique=False)),
                ('language', fields.CharField(null=True, max_length=16)),
                ('author_name', fields.CharField(default='', max_length=300)),
                ('author_url', fields.CharField(default='', max_length=2048)),
                ('provider_name', fields.CharField(default='', max_length=300)),
                ('provider_url', fields.CharField(default='', max_length=2048)),
                ('html', fields.TextField(default='', unique=False)),
                ('width', fields.IntField(default=0)),
                ('height', fields.IntField(default=0)),
                ('image_path', fields.CharField(default='', max_length=255)),
                ('image_description', fields.CharField(default='', max_length=1500)),
                ('embed_url', fields.CharField(default='', max_length=2048)),
                ('blurhash', fields.CharField(null=True, max_length=64)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'preview_cards', 'app': 'models', 'indexes': [Index(fields=['state', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One card per URL: pending until the fetch job reads the page, then fetched or failed'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='StatusCard',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('status_id', fields.BigIntField(unique=True)),
                ('card', fields.ForeignKeyField('models.PreviewCard', source_field='card_id', db_constraint=True, to_field='id', related_name='statuses', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'status_cards', 'app': 'models', 'indexes': [Index(fields=['card_id', 'status_id'])], 'pk_attr': 'id', 'table_description': 'The card a status shows (its first link that is not a mention or a hashtag)'},
            bases=['Entity'],
        ),
    ]

"""Instance information and announcements: rules, the extended description, privacy policy, terms of
service; announcements, their dismissals and reactions."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0025_take_views')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Announcement',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('text', fields.TextField(unique=False)),
                ('starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('all_day', fields.BooleanField(default=False)),
                ('published', fields.BooleanField(default=True)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'announcements', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An announcement: its text, an optional event time span, and whether it is published'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='AnnouncementMute',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('announcement_id', fields.BigIntField()),
                ('account_id', fields.BigIntField(db_index=True)),
            ],
            options={'table': 'announcement_mutes', 'app': 'models', 'unique_together': (('announcement_id', 'account_id'),), 'pk_attr': 'id', 'table_description': 'An account dismissed (read) an announcement'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='AnnouncementReaction',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('announcement_id', fields.BigIntField(db_index=True)),
                ('account_id', fields.BigIntField()),
                ('name', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'announcement_reactions', 'app': 'models', 'unique_together': (('announcement_id', 'account_id', 'name'),), 'pk_attr': 'id', 'table_description': 'An account reacted to an announcement with an emoji'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='InstanceText',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('kind', fields.CharField(unique=True, max_length=32)),
                ('text', fields.TextField(default='', unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'instance_texts', 'app': 'models', 'pk_attr': 'id', 'table_description': "One of the node's documents (extended description or privacy policy) as Markdown, and when it changed"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Rule',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('text', fields.CharField(max_length=300)),
                ('hint', fields.TextField(default='', unique=False)),
                ('translations', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('priority', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'instance_rules', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A server rule: its text, an optional hint, translations by language, and its place in the list'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TermsOfService',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('text', fields.TextField(unique=False)),
                ('changelog', fields.TextField(default='', unique=False)),
                ('effective_date', fields.DateField()),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'terms_of_service', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A published version of the terms of service and the day it takes effect'},
            bases=['Entity'],
        ),
    ]

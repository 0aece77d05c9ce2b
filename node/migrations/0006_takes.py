from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_search_places')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Take',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('status_id', fields.BigIntField(unique=True)),
                ('account_id', fields.BigIntField()),
                ('local', fields.BooleanField(default=True)),
                ('uri', fields.CharField(unique=True, max_length=1024)),
                ('sound_title', fields.CharField(default='', max_length=200)),
                ('sound_author', fields.CharField(default='', max_length=200)),
                ('sound_url', fields.CharField(default='', max_length=1024)),
                ('duration', fields.FloatField(null=True)),
                ('width', fields.IntField(null=True)),
                ('height', fields.IntField(null=True)),
                ('views_count', fields.IntField(default=0)),
                ('template_id', fields.BigIntField(null=True)),
                ('template_uri', fields.CharField(default='', max_length=1024)),
                ('trend_id', fields.BigIntField(null=True)),
                ('trend_uri', fields.CharField(default='', max_length=1024)),
                ('trend_state', fields.CharField(default='', max_length=16)),
                ('trend_checked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('btt_updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'takes', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id']), Index(fields=['trend_id', 'id']), Index(fields=['template_id', 'id'])], 'pk_attr': 'id', 'table_description': 'The Take-specific data of one status: sound credit, views, template and trend links'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='BehindTheTakeStep',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('take', fields.ForeignKeyField('models.Take', source_field='take_id', db_constraint=True, to_field='id', related_name='btt_steps', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('text', fields.TextField(default='', unique=False)),
                ('media_id', fields.BigIntField(null=True)),
                ('media_url', fields.CharField(default='', max_length=1024)),
                ('at_seconds', fields.FloatField(null=True)),
            ],
            options={'table': 'take_btt_steps', 'app': 'models', 'unique_together': (('take', 'position'),), 'pk_attr': 'id', 'table_description': "One step of a Take's Behind-the-Take how-to, in order, with an optional time into the video"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TakeTemplate',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=1024)),
                ('local', fields.BooleanField(default=True)),
                ('take_id', fields.BigIntField(null=True)),
                ('take_uri', fields.CharField(default='', max_length=1024)),
                ('account_id', fields.BigIntField()),
                ('name', fields.CharField(max_length=200)),
                ('segments', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('overlays', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('sound', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('effects', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('usage_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'take_templates', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id']), Index(fields=['usage_count', 'id'])], 'pk_attr': 'id', 'table_description': 'A Take published as a reusable template: segment timings, text overlays, sound and effects'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TakeTrend',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=1024)),
                ('local', fields.BooleanField(default=True)),
                ('name', fields.CharField(max_length=100)),
                ('hashtag', fields.CharField(max_length=100)),
                ('origin_take_uri', fields.CharField(max_length=1024)),
                ('origin_take_id', fields.BigIntField(null=True)),
                ('originator_id', fields.BigIntField()),
                ('participants_uri', fields.CharField(max_length=1024)),
                ('participants_count', fields.IntField(default=0)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'take_trends', 'app': 'models', 'indexes': [Index(fields=['hashtag', 'id'])], 'pk_attr': 'id', 'table_description': 'A trend (name and hashtag) started by an originating Take, ours or known from another server'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TrendHour',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('trend_id', fields.BigIntField()),
                ('hour', fields.IntField()),
                ('joins', fields.IntField(default=0)),
            ],
            options={'table': 'take_trend_hours', 'app': 'models', 'unique_together': (('trend_id', 'hour'),), 'indexes': [Index(fields=['hour', 'trend_id'])], 'pk_attr': 'id', 'table_description': 'How many Takes joined a trend in one clock hour (hours since the Unix epoch)'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TrendParticipation',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('trend', fields.ForeignKeyField('models.TakeTrend', source_field='trend_id', db_constraint=True, to_field='id', related_name='participations', on_delete=OnDelete.CASCADE)),
                ('take_uri', fields.CharField(max_length=1024)),
                ('actor_uri', fields.CharField(max_length=1024)),
                ('account_id', fields.BigIntField(null=True)),
                ('take_id', fields.BigIntField(null=True)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('reason', fields.CharField(default='', max_length=300)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'take_trend_participations', 'app': 'models', 'unique_together': (('trend', 'take_uri'),), 'indexes': [Index(fields=['trend_id', 'state', 'id'])], 'pk_attr': 'id', 'table_description': "A Take's claim to take part in a trend, kept by the trend's origin node: pending until the"},
            bases=['Entity'],
        ),
    ]

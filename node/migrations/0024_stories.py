from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0023_account_moderation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CloseFriend',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account_id', fields.BigIntField()),
                ('friend_id', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'close_friends', 'app': 'models', 'unique_together': (('account_id', 'friend_id'),), 'indexes': [Index(fields=['friend_id', 'account_id'])], 'pk_attr': 'id', 'table_description': "One account on a local author's close-friends list"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='CountdownSubscription',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('sticker_uri', fields.CharField(max_length=1024)),
                ('account_id', fields.BigIntField()),
                ('author_id', fields.BigIntField()),
                ('title', fields.CharField(default='', max_length=200)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'story_countdown_subscriptions', 'app': 'models', 'unique_together': (('sticker_uri', 'account_id'),), 'indexes': [Index(fields=['notified_at', 'ends_at'])], 'pk_attr': 'id', 'table_description': 'Someone wants to hear when a countdown ends: kept apart from the story, which may expire first'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Highlight',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account_id', fields.BigIntField()),
                ('title', fields.CharField(max_length=100)),
                ('cover_story_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'story_highlights', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': "A permanent, public collection of an author's stories on their profile"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Story',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account_id', fields.BigIntField()),
                ('local', fields.BooleanField(default=True)),
                ('uri', fields.CharField(unique=True, max_length=1024)),
                ('url', fields.CharField(default='', max_length=1024)),
                ('protocol', fields.CharField(default='entativa', max_length=16)),
                ('media_type', fields.CharField(max_length=16)),
                ('mime_type', fields.CharField(default='', max_length=64)),
                ('file_path', fields.CharField(default='', max_length=512)),
                ('preview_path', fields.CharField(default='', max_length=512)),
                ('remote_url', fields.CharField(default='', max_length=1024)),
                ('width', fields.IntField(null=True)),
                ('height', fields.IntField(null=True)),
                ('blurhash', fields.CharField(null=True, max_length=64)),
                ('description', fields.TextField(default='', unique=False)),
                ('duration', fields.FloatField(default=5.0)),
                ('audience', fields.CharField(default='followers', max_length=16)),
                ('can_reply', fields.BooleanField(default=True)),
                ('can_react', fields.BooleanField(default=True)),
                ('overlays', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('bearer_token', fields.CharField(default='', max_length=64)),
                ('add_yours_uri', fields.CharField(default='', max_length=1024)),
                ('add_yours_author_uri', fields.CharField(default='', max_length=1024)),
                ('expired', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'stories', 'app': 'models', 'indexes': [Index(fields=['account_id', 'expires_at']), Index(fields=['expired', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'One story: its media (files under the media folder), audience, overlays and expiry'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='HighlightItem',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('highlight', fields.ForeignKeyField('models.Highlight', source_field='highlight_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('story', fields.ForeignKeyField('models.Story', source_field='story_id', db_constraint=True, to_field='id', related_name='highlight_items', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'story_highlight_items', 'app': 'models', 'unique_together': (('highlight', 'story'),), 'indexes': [Index(fields=['story_id'])], 'pk_attr': 'id', 'table_description': 'A story in a highlight, in order: it keeps the story (and its files) past expiry'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='StoryAudience',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('story', fields.ForeignKeyField('models.Story', source_field='story_id', db_constraint=True, to_field='id', related_name='audience_rows', on_delete=OnDelete.CASCADE)),
                ('account_id', fields.BigIntField()),
            ],
            options={'table': 'story_audiences', 'app': 'models', 'unique_together': (('story', 'account_id'),), 'pk_attr': 'id', 'table_description': 'A local account a remote story was addressed to by name (close-friends stories)'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='StoryNotification',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('notification_id', fields.BigIntField(unique=True)),
                ('story_id', fields.BigIntField()),
            ],
            options={'table': 'story_notifications', 'app': 'models', 'indexes': [Index(fields=['story_id'])], 'pk_attr': 'id', 'table_description': 'Which story a story notification is about (notifications themselves name only statuses)'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='StoryResponse',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('story', fields.ForeignKeyField('models.Story', source_field='story_id', db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.CASCADE)),
                ('account_id', fields.BigIntField()),
                ('kind', fields.CharField(max_length=16)),
                ('emoji', fields.CharField(default='', max_length=32)),
                ('status_id', fields.BigIntField(null=True)),
                ('uri', fields.CharField(default='', max_length=1024)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'story_responses', 'app': 'models', 'indexes': [Index(fields=['story_id', 'kind']), Index(fields=['status_id'])], 'pk_attr': 'id', 'table_description': 'A reply (a direct message threaded to the story) or a quick emoji reaction'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='StorySticker',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('story', fields.ForeignKeyField('models.Story', source_field='story_id', db_constraint=True, to_field='id', related_name='stickers', on_delete=OnDelete.CASCADE)),
                ('uri', fields.CharField(unique=True, max_length=1024)),
                ('position', fields.IntField(default=0)),
                ('kind', fields.CharField(max_length=16)),
                ('placement', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('data', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'story_stickers', 'app': 'models', 'indexes': [Index(fields=['story_id', 'position'])], 'pk_attr': 'id', 'table_description': 'A sticker placed on a story: its kind, place on the media and kind-specific fields'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='StickerAnswer',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('sticker', fields.ForeignKeyField('models.StorySticker', source_field='sticker_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('account_id', fields.BigIntField()),
                ('uri', fields.CharField(default='', max_length=1024)),
                ('choice', fields.IntField(null=True)),
                ('value', fields.FloatField(null=True)),
                ('text', fields.TextField(default='', unique=False)),
                ('story_uri', fields.CharField(default='', max_length=1024)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'story_sticker_answers', 'app': 'models', 'unique_together': (('sticker', 'account_id'),), 'pk_attr': 'id', 'table_description': "One viewer's answer to one sticker (at most one each), kept by the story author's node"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='StoryView',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('story', fields.ForeignKeyField('models.Story', source_field='story_id', db_constraint=True, to_field='id', related_name='views', on_delete=OnDelete.CASCADE)),
                ('account_id', fields.BigIntField()),
                ('views', fields.IntField(default=1)),
                ('completed', fields.BooleanField(default=False)),
                ('taps_forward', fields.IntField(default=0)),
                ('taps_back', fields.IntField(default=0)),
                ('exits', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'story_views', 'app': 'models', 'unique_together': (('story', 'account_id'),), 'indexes': [Index(fields=['account_id', 'story_id'])], 'pk_attr': 'id', 'table_description': "One viewer's views of one story, with the navigation their client reported"},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Peer',
            name='software',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AddField(
            model_name='Peer',
            name='software_checked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]

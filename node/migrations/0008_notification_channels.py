from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_take_links')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChannelCursor',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('position', fields.BigIntField(default=0)),
            ],
            options={'table': 'channel_cursors', 'app': 'models', 'pk_attr': 'name', 'table_description': 'How far a persisted walker (the notification dispatcher) has read, by name'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationSettings',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.OneToOneField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notification_settings', on_delete=OnDelete.CASCADE)),
                ('types', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('quiet_enabled', fields.BooleanField(default=False)),
                ('quiet_start', fields.CharField(default='22:00', max_length=5)),
                ('quiet_end', fields.CharField(default='07:00', max_length=5)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('email_digest', fields.CharField(default='off', max_length=8)),
                ('digest_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What a local account wants by Web Push and email, per notification type, and when to stay quiet'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='PushSubscription',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='push_subscriptions', on_delete=OnDelete.CASCADE)),
                ('credential_hash', fields.CharField(unique=True, max_length=80)),
                ('endpoint', fields.CharField(max_length=2048)),
                ('p256dh', fields.CharField(max_length=128)),
                ('auth', fields.CharField(max_length=64)),
                ('alerts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('policy', fields.CharField(default='all', max_length=16)),
                ('standard', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'push_subscriptions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A Web Push endpoint, one per access token or browser session (credential_hash), as Mastodon keeps one per token'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ChannelJob',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='channel_jobs', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=8)),
                ('kind', fields.CharField(default='notification', max_length=16)),
                ('subscription', fields.ForeignKeyField('models.PushSubscription', source_field='subscription_id', null=True, db_constraint=True, to_field='id', related_name='jobs', on_delete=OnDelete.CASCADE)),
                ('notification_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharField(default='pending', max_length=12)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'channel_jobs', 'app': 'models', 'indexes': [Index(fields=['state', 'due_at'])], 'pk_attr': 'id', 'table_description': 'One push or mail to send: written by the dispatcher with its cursor, sent and retried by a worker'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='User',
            name='email_confirmed',
            field=fields.BooleanField(default=True),
        ),
    ]

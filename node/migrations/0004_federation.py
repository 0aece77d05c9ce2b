from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_fix_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DomainBlock',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('domain', fields.CharField(unique=True, max_length=253)),
                ('severity', fields.CharField(default='silence', max_length=16)),
                ('reject_media', fields.BooleanField(default=False)),
                ('reject_reports', fields.BooleanField(default=False)),
                ('private_comment', fields.TextField(default='', unique=False)),
                ('public_comment', fields.TextField(default='', unique=False)),
                ('obfuscate', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'domain_blocks', 'app': 'models', 'pk_attr': 'id', 'table_description': "An admin's block of a whole server: silence keeps it out of public timelines, suspend cuts it off."},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='InboxActivity',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('activity_uri', fields.CharField(null=True, unique=True, max_length=1024)),
                ('actor_uri', fields.CharField(max_length=1024)),
                ('type', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('error', fields.TextField(default='', unique=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inbox_activities', 'app': 'models', 'indexes': [Index(fields=['state', 'id'])], 'pk_attr': 'id', 'table_description': 'A received activity, stored before the inbox answered 202 and then processed from the queue.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='OutboxActivity',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=1024)),
                ('actor_id', fields.BigIntField()),
                ('type', fields.CharField(max_length=64)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'outbox_activities', 'app': 'models', 'indexes': [Index(fields=['actor_id', 'id'])], 'pk_attr': 'id', 'table_description': 'An activity a local actor sent: its id, its JSON body (shared by all its deliveries) and its signer.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('models.OutboxActivity', source_field='activity_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('inbox_url', fields.CharField(max_length=1024)),
                ('host', fields.CharField(max_length=253)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deliveries', 'app': 'models', 'unique_together': (('activity', 'inbox_url'),), 'indexes': [Index(fields=['state', 'next_attempt_at']), Index(fields=['host', 'state'])], 'pk_attr': 'id', 'table_description': 'One activity to one inbox: pending until delivered, retried with backoff, given up after a while.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Peer',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('host', fields.CharField(unique=True, max_length=253)),
                ('available', fields.BooleanField(default=True)),
                ('failures', fields.IntField(default=0)),
                ('rfc9421', fields.BooleanField(default=False)),
                ('last_success_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_failure_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unavailable_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'peers', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A server we deliver to or hear from: whether it answers, its failure streak, its signature scheme.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='reports_filed', on_delete=OnDelete.CASCADE)),
                ('target_account', fields.ForeignKeyField('models.Account', source_field='target_account_id', db_constraint=True, to_field='id', related_name='reports_received', on_delete=OnDelete.CASCADE)),
                ('status_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('comment', fields.TextField(default='', unique=False)),
                ('category', fields.CharField(default='other', max_length=16)),
                ('forwarded', fields.BooleanField(default=False)),
                ('uri', fields.CharField(null=True, unique=True, max_length=1024)),
                ('action_taken_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'reports', 'app': 'models', 'indexes': [Index(fields=['target_account_id', 'id'])], 'pk_attr': 'id', 'table_description': "A report of an account (and some of its statuses) to this node's admins, local or from a Flag."},
            bases=['Entity'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0018_idempotency_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NotificationPermission',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notification_permissions', on_delete=OnDelete.CASCADE)),
                ('from_account', fields.ForeignKeyField('models.Account', source_field='from_account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification_permissions', 'app': 'models', 'unique_together': (('account', 'from_account'),), 'pk_attr': 'id', 'table_description': 'A sender whose request the account accepted: the policy no longer filters them'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='NotificationPolicy',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.OneToOneField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notification_policy', on_delete=OnDelete.CASCADE)),
                ('for_not_following', fields.CharField(default='accept', max_length=8)),
                ('for_not_followers', fields.CharField(default='accept', max_length=8)),
                ('for_new_accounts', fields.CharField(default='accept', max_length=8)),
                ('for_private_mentions', fields.CharField(default='filter', max_length=8)),
                ('for_limited_accounts', fields.CharField(default='filter', max_length=8)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_policies', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What an account does (accept, filter, drop) with notifications from strangers, new accounts and the like'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='NotificationRequest',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notification_requests', on_delete=OnDelete.CASCADE)),
                ('from_account', fields.ForeignKeyField('models.Account', source_field='from_account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('last_status', fields.ForeignKeyField('models.Status', source_field='last_status_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('notifications_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_requests', 'app': 'models', 'unique_together': (('account', 'from_account'),), 'pk_attr': 'id', 'table_description': 'Filtered mentions from one sender, waiting for the account to accept or dismiss them'},
            bases=['Entity'],
        ),
        ops.AlterModelOptions(
            name='Notification',
            options={'table': 'notifications', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id']), Index(fields=['account_id', 'group_key', 'id'])], 'pk_attr': 'id', 'table_description': 'One notification of one local account, with its group key (grouping types) and whether it was filtered'},
        ),
        ops.AddField(
            model_name='Notification',
            name='filtered',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Notification',
            name='group_key',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['account_id', 'group_key', 'id']),
        ),
    ]

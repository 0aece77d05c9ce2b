import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField()),
                ('remote_account_id', fields.BigIntField()),
            ],
            options={'table': 'e2ee_contacts', 'app': 'e2ee', 'unique_together': (('account_id', 'remote_account_id'),), 'pk_attr': 'id', 'table_description': 'A remote account a local account exchanged ciphertext with: its server hears of device-list changes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Device',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField(db_index=True)),
                ('local', fields.BooleanField(default=True)),
                ('device_id', fields.CharField(max_length=64)),
                ('name', fields.CharField(default='', max_length=128)),
                ('identity_key', fields.CharField(max_length=64)),
                ('fingerprint_key', fields.CharField(max_length=64)),
                ('algorithms', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('signature', fields.CharField(default='', max_length=128)),
                ('token_digest', fields.CharField(null=True, db_index=True, max_length=64)),
                ('claim_url', fields.CharField(default='', max_length=1024)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'e2ee_devices', 'app': 'e2ee', 'unique_together': (('account_id', 'device_id'),), 'pk_attr': 'id', 'table_description': 'One device of an account (local or a cached copy of a remote one) with its public keys only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Envelope',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('device', fields.ForeignKeyField('e2ee.Device', source_field='device_id', db_constraint=True, to_field='id', related_name='envelopes', on_delete=OnDelete.CASCADE)),
                ('message_uri', fields.CharField(max_length=512)),
                ('from_account_id', fields.BigIntField()),
                ('from_device_id', fields.CharField(max_length=64)),
                ('type', fields.IntField()),
                ('body', fields.TextField(unique=False)),
                ('digest', fields.CharField(default='', max_length=128)),
                ('group_id', fields.IntField(null=True)),
                ('activity_uri', fields.CharField(null=True, max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'e2ee_envelopes', 'app': 'e2ee', 'unique_together': (('device', 'message_uri'),), 'pk_attr': 'id', 'table_description': 'Ciphertext waiting for one local device: read by cursor, deleted when acknowledged, after 30 days, or'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Group',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=512)),
                ('owner_id', fields.BigIntField()),
                ('local', fields.BooleanField(default=True)),
                ('name', fields.CharField(default='', max_length=128)),
                ('epoch', fields.IntField(default=0)),
                ('rotate_after_messages', fields.IntField(default=100)),
                ('rotate_after_seconds', fields.IntField(default=604800)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'e2ee_groups', 'app': 'e2ee', 'pk_attr': 'id', 'table_description': "An encrypted group: authoritative on its owner's node, a replica elsewhere. `epoch` grows whenever a"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('e2ee.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('account_id', fields.BigIntField(db_index=True)),
                ('joined_epoch', fields.IntField(default=0)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'e2ee_group_members', 'app': 'e2ee', 'unique_together': (('group', 'account_id'),), 'pk_attr': 'id', 'table_description': 'A member of a group, since the epoch they joined in.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OneTimeKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('device', fields.ForeignKeyField('e2ee.Device', source_field='device_id', db_constraint=True, to_field='id', related_name='one_time_keys', on_delete=OnDelete.CASCADE)),
                ('key_id', fields.CharField(max_length=64)),
                ('key', fields.CharField(max_length=64)),
                ('signature', fields.CharField(default='', max_length=128)),
                ('fallback', fields.BooleanField(default=False)),
            ],
            options={'table': 'e2ee_one_time_keys', 'app': 'e2ee', 'unique_together': (('device', 'key_id', 'fallback'),), 'pk_attr': 'id', 'table_description': 'A Curve25519 one-time key of a local device, handed out once (the fallback key is handed out when none'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SentBatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity_uri', fields.CharField(unique=True, max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'e2ee_sent_batches', 'app': 'e2ee', 'pk_attr': 'id', 'table_description': 'A federated batch of ciphertext this node sent, remembered until its messages expire so every stored'},
            bases=['Model'],
        ),
    ]

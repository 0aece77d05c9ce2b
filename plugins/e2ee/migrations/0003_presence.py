from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('e2ee', '0002_attachments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Presence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField(unique=True)),
                ('share', fields.CharField(default='contacts', max_length=16)),
                ('last_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'e2ee_presence', 'app': 'e2ee', 'pk_attr': 'id', 'table_description': "Who may see an account's presence, and when it was last seen: the only presence that is stored. Whether"},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='Contact',
            options={'table': 'e2ee_contacts', 'app': 'e2ee', 'unique_together': (('account_id', 'remote_account_id'),), 'pk_attr': 'id', 'table_description': "An account a local account exchanged ciphertext with: a remote one's server hears of device-list"},
        ),
        ops.AlterModelOptions(
            name='SentBatch',
            options={'table': 'e2ee_sent_batches', 'app': 'e2ee', 'pk_attr': 'id', 'table_description': 'A federated batch of ciphertext this node sent or received with an expiry, remembered until then so'},
        ),
    ]

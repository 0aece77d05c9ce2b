from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('e2ee', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Attachment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('blob_id', fields.CharField(unique=True, max_length=64)),
                ('owner_id', fields.BigIntField(db_index=True)),
                ('account_id', fields.BigIntField(null=True)),
                ('group_id', fields.IntField(null=True, db_index=True)),
                ('size', fields.BigIntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'e2ee_attachments', 'app': 'e2ee', 'pk_attr': 'id', 'table_description': "The ciphertext of one encrypted attachment, kept on its uploader's node only (other nodes relay it to"},
            bases=['Model'],
        ),
    ]

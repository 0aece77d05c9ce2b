"""Quote posts: which status quotes which, and whether its author approved."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0029_account_archives')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatusQuote',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('status', fields.OneToOneField('models.Status', source_field='status_id', db_constraint=True, to_field='id', related_name='quote', on_delete=OnDelete.CASCADE)),
                ('quoted_status', fields.ForeignKeyField('models.Status', source_field='quoted_status_id', null=True, db_constraint=True, to_field='id', related_name='quoted_by', on_delete=OnDelete.SET_NULL)),
                ('quoted_uri', fields.CharField(max_length=1024)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('approval_uri', fields.CharField(default='', max_length=1024)),
                ('legacy', fields.BooleanField(default=False)),
            ],
            options={'table': 'status_quotes', 'app': 'models', 'indexes': [Index(fields=['quoted_status_id'])], 'pk_attr': 'id', 'table_description': 'A post quoting another (Mastodon 4.5 quotes, FEP-044f, and the older quoteUri / _misskey_quote /'},
            bases=['Entity'],
        ),
    ]

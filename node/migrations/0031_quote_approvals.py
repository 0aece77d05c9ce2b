"""Quote approvals: our authors' QuoteAuthorizations (FEP-044f) for other servers' quotes of our posts."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0030_status_quotes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='QuoteApproval',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('status', fields.ForeignKeyField('models.Status', source_field='status_id', db_constraint=True, to_field='id', related_name='quote_approvals', on_delete=OnDelete.CASCADE)),
                ('quoting_uri', fields.CharField(max_length=1024)),
                ('requester', fields.ForeignKeyField('models.Account', source_field='requester_id', db_constraint=True, to_field='id', related_name='quote_approvals', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'quote_approvals', 'app': 'models', 'unique_together': (('status', 'quoting_uri'),), 'pk_attr': 'id', 'table_description': "Our author's approval of another server's post quoting one of our posts (FEP-044f's"},
            bases=['Entity'],
        ),
    ]

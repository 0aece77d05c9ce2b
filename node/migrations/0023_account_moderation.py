"""Account moderation: silenced and sensitized accounts, disabled sign-ins, sign-up reasons, and the e-mail and IP blocks admins keep."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0022_preview_cards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CanonicalEmailBlock',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('canonical_email_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'canonical_email_blocks', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An e-mail address nobody may sign up with, stored as the SHA-256 of its canonical form'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='IpBlock',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('ip', fields.CharField(max_length=49)),
                ('severity', fields.CharField(max_length=32)),
                ('comment', fields.CharField(default='', max_length=1000)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ip_blocks', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An address or range (CIDR) and what it may no longer do, until an optional expiry'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Account',
            name='sensitized_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='silenced_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='disabled',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='User',
            name='sign_up_ip',
            field=fields.CharField(default='', max_length=45),
        ),
        ops.AddField(
            model_name='User',
            name='sign_up_reason',
            field=fields.CharField(default='', max_length=1000),
        ),
    ]

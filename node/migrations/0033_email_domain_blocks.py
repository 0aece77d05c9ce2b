"""E-mail domain blocks: domains (and their subdomains) nobody may sign up with."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0032_oauth_code_replay_sign_up_decoys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EmailDomainBlock',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('domain', fields.CharField(unique=True, max_length=253)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'email_domain_blocks', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An e-mail domain (and its subdomains) nobody may sign up with'},
            bases=['Entity'],
        ),
    ]

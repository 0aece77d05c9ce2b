"""Authorization codes remember their exchange (used_at, the token it gave: a replayed code revokes it), and
sign-up decoys: the token answered to an API sign-up with an address that is already registered."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0031_quote_approvals')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignUpDecoy',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sign_up_decoys', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The token answered to an API sign-up with an address that already has an account (mail on): it'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='OAuthCode',
            name='token',
            field=fields.ForeignKeyField('models.OAuthToken', source_field='token_id', null=True, db_constraint=True, to_field='id', related_name='codes', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='OAuthCode',
            name='used_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]

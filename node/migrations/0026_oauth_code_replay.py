"""Authorization codes remember their exchange: used_at and the token it issued, so a replayed code revokes it."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0025_take_views')]

    initial = False

    operations = [
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

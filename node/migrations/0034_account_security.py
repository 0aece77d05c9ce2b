"""Account security and privacy settings: a pending new email, TOTP two-factor sign-in, what the sessions
list shows (browser, address, last use), and hiding the followers/following lists."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0033_email_domain_blocks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='hide_collections',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='User',
            name='otp_enabled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='otp_last_step',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='User',
            name='otp_recovery_hashes',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='User',
            name='otp_secret',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='User',
            name='unconfirmed_email',
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AddField(
            model_name='WebSession',
            name='ip',
            field=fields.CharField(default='', max_length=45),
        ),
        ops.AddField(
            model_name='WebSession',
            name='last_used_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='WebSession',
            name='second_factor_pending',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='WebSession',
            name='user_agent',
            field=fields.CharField(default='', max_length=255),
        ),
    ]

"""Account security and privacy settings: a pending new email, TOTP two-factor sign-in, what the sessions
list shows (browser, address, last use), and hiding the followers/following lists."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class AddFieldKeepingRows(ops.AddField):
    """AddField for a NOT NULL column on a table that already has rows (as in 0015): tortoise's ALTER TABLE
    leaves the default out, which SQLite refuses once the table is not empty, so it is written out here."""

    def __init__(self, model_name, name, field, column_sql):
        super().__init__(model_name=model_name, name=name, field=field)
        self.column_sql = column_sql

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if not state_editor:
            return
        table = new_state.apps.get_model(f"{app_label}.{self.model_name}")._meta.db_table
        column = self.column_sql
        if state_editor.client.capabilities.dialect == "sqlite":  # tortoise's own type for booleans there
            column = column.replace("BOOLEAN NOT NULL DEFAULT FALSE", "INT NOT NULL DEFAULT 0")
        await state_editor.client.execute_script(f'ALTER TABLE "{table}" ADD COLUMN "{self.name}" {column}')


class Migration(migrations.Migration):
    dependencies = [('models', '0033_email_domain_blocks')]

    initial = False

    operations = [
        AddFieldKeepingRows(
            model_name='Account',
            name='hide_collections',
            field=fields.BooleanField(default=False),
            column_sql="BOOLEAN NOT NULL DEFAULT FALSE",
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
        AddFieldKeepingRows(
            model_name='WebSession',
            name='ip',
            field=fields.CharField(default='', max_length=45),
            column_sql="VARCHAR(45) NOT NULL DEFAULT ''",
        ),
        ops.AddField(
            model_name='WebSession',
            name='last_used_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        AddFieldKeepingRows(
            model_name='WebSession',
            name='second_factor_pending',
            field=fields.BooleanField(default=False),
            column_sql="BOOLEAN NOT NULL DEFAULT FALSE",
        ),
        AddFieldKeepingRows(
            model_name='WebSession',
            name='user_agent',
            field=fields.CharField(default='', max_length=255),
            column_sql="VARCHAR(255) NOT NULL DEFAULT ''",
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields

class AddFieldKeepingRows(ops.AddField):
    """AddField for a NOT NULL column on a table that already has rows: tortoise's ALTER TABLE leaves the
    default out, which SQLite refuses once the table is not empty, so the column is added with it."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if not state_editor:
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        table = model._meta.db_table
        await state_editor.client.execute_script(
            f'ALTER TABLE "{table}" ADD COLUMN "{self.name}" VARCHAR({self.field.max_length}) NOT NULL DEFAULT \'\'')


class Migration(migrations.Migration):
    dependencies = [('models', '0014_account_preferences')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatusPin',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='status_pins', on_delete=OnDelete.CASCADE)),
                ('status', fields.ForeignKeyField('models.Status', source_field='status_id', db_constraint=True, to_field='id', related_name='pins', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'status_pins', 'app': 'models', 'unique_together': (('account', 'status'),), 'pk_attr': 'id', 'table_description': 'A post its author pinned to their profile (local pins, and remote ones read from `featured`).'},
            bases=['Entity'],
        ),
        AddFieldKeepingRows(
            model_name='Account',
            name='featured_url',
            field=fields.CharField(default='', max_length=1024),
        ),
    ]

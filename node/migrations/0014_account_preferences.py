from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_tag_follows')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountDomainBlock',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='domain_blocks', on_delete=OnDelete.CASCADE)),
                ('domain', fields.CharField(max_length=255)),
            ],
            options={'table': 'account_domain_blocks', 'app': 'models', 'unique_together': (('account', 'domain'),), 'pk_attr': 'id', 'table_description': 'A server one account does not want to hear from (a user-level domain block)'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='AccountNote',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notes_written', on_delete=OnDelete.CASCADE)),
                ('target_account', fields.ForeignKeyField('models.Account', source_field='target_account_id', db_constraint=True, to_field='id', related_name='notes_about', on_delete=OnDelete.CASCADE)),
                ('comment', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'account_notes', 'app': 'models', 'unique_together': (('account', 'target_account'),), 'pk_attr': 'id', 'table_description': 'A private note an account keeps on another (shown only to its writer, in the Relationship)'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='AccountPin',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='endorsements', on_delete=OnDelete.CASCADE)),
                ('target_account', fields.ForeignKeyField('models.Account', source_field='target_account_id', db_constraint=True, to_field='id', related_name='endorsed_by', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'account_pins', 'app': 'models', 'unique_together': (('account', 'target_account'),), 'pk_attr': 'id', 'table_description': "An endorsement: a followed account featured on the endorser's profile"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='SuggestionDismissal',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='dismissed_suggestions', on_delete=OnDelete.CASCADE)),
                ('target_account', fields.ForeignKeyField('models.Account', source_field='target_account_id', db_constraint=True, to_field='id', related_name='dismissed_by', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'suggestion_dismissals', 'app': 'models', 'unique_together': (('account', 'target_account'),), 'pk_attr': 'id', 'table_description': 'An account someone asked not to be suggested to follow again'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='User',
            name='default_sensitive',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='User',
            name='expand_media',
            field=fields.CharField(default='default', max_length=16),
        ),
        ops.AddField(
            model_name='User',
            name='expand_spoilers',
            field=fields.BooleanField(default=False),
        ),
    ]

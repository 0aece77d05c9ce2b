from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_filters')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FeaturedTag',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='featured_tags', on_delete=OnDelete.CASCADE)),
                ('tag', fields.ForeignKeyField('models.Tag', source_field='tag_id', db_constraint=True, to_field='id', related_name='featured_by', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'featured_tags', 'app': 'models', 'unique_together': (('account', 'tag'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TagFollow',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=snowflake, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='tag_follows', on_delete=OnDelete.CASCADE)),
                ('tag', fields.ForeignKeyField('models.Tag', source_field='tag_id', db_constraint=True, to_field='id', related_name='follows', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'tag_follows', 'app': 'models', 'unique_together': (('account', 'tag'),), 'indexes': [Index(fields=['tag_id', 'account_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
    ]

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Greeting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField(unique=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'welcome_greetings', 'app': 'welcome', 'pk_attr': 'id', 'table_description': 'A newcomer to greet: pending while sent_at is empty, then the id of the status that greeted them.'},
            bases=['Model'],
        ),
    ]

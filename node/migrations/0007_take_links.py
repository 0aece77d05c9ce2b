from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_takes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Take',
            name='trend_claim',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='TakeTemplate',
            name='url',
            field=fields.CharField(default='', max_length=1024),
        ),
        ops.AddField(
            model_name='TakeTemplate',
            name='usages_uri',
            field=fields.CharField(default='', max_length=1024),
        ),
        ops.AddField(
            model_name='TakeTrend',
            name='url',
            field=fields.CharField(default='', max_length=1024),
        ),
    ]

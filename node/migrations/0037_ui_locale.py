"""users.ui_locale: the language the web UI is drawn in for this account (NULL: follow the browser's
Accept-Language). Separate from users.locale, which is the default language of new posts."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0036_remote_media')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='ui_locale',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]

"""home_feed loses its (account_id, author_id) index: it cost posting a written page per fanned-out row, and
unfollows, blocks and suspensions now find an author's rows through the statuses index (services/feeds.py)."""

from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('models', '0037_ui_locale')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='HomeFeedEntry',
            name=None,
            fields=['account_id', 'author_id'],
        ),
    ]

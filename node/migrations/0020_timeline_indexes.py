"""Timeline plans: reblog lookups get a partial index (rows that are reblogs) so the planner can no longer
take it for `reblog_of_id IS NULL` and sort every status; media are indexed by status (pages and only_media)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import SetIndex
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0019_notification_groups')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='MediaAttachment',
            index=Index(fields=['status_id', 'position']),
        ),
        ops.RemoveIndex(
            model_name='Status',
            name=None,
            fields=['reblog_of_id', 'account_id'],
        ),
        ops.AddIndex(
            model_name='Status',
            index=SetIndex(fields=['reblog_of_id', 'account_id']),
        ),
    ]

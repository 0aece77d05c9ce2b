"""Edited statuses get a partial index (rows with edited_at set): the search index's start-up catch-up reads
the statuses edited since its last commit, and without it scanned the whole table at every start."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import SetIndex

class Migration(migrations.Migration):
    dependencies = [('models', '0034_account_security')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Status',
            index=SetIndex(fields=['edited_at']),
        ),
    ]

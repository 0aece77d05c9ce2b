"""Indexes in 0001 named relation fields ("account") instead of their columns ("account_id"); SQLite took the
unknown names as string constants, so those indexes indexed nothing (PostgreSQL refused them). 0001 now
creates them on their columns under the names the old ones had; replace them with the indexes meant."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# (model, the old index's name, columns as meant)
FIXES = [
    ("Block", "idx_blocks_target__3fa66e", ["target_account_id", "account_id"]),
    ("Follow", "idx_follows_target__e622f1", ["target_account_id", "account_id"]),
    ("Bookmark", "idx_bookmarks_account_cd5eee", ["account_id", "id"]),
    ("Favourite", "idx_favourites_account_24ef35", ["account_id", "id"]),
    ("Notification", "idx_notificatio_account_d70b56", ["account_id", "id"]),
    ("Status", "idx_statuses_account_0b104a", ["account_id", "id"]),
    ("Status", "idx_statuses_in_repl_684a3d", ["in_reply_to_id", "id"]),
    ("Status", "idx_statuses_reblog__5feaee", ["reblog_of_id", "account_id"]),
    ("StatusTag", "idx_status_tags_tag_3da885", ["tag_id", "status_id"]),
    ("Mention", "idx_mentions_account_fab918", ["account_id", "status_id"]),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0002_markers")]

    initial = False

    operations = [
        operation
        for model, old, right in FIXES
        for operation in (ops.RemoveIndex(model_name=model, name=old),
                          ops.AddIndex(model_name=model, index=Index(fields=right)))
    ]

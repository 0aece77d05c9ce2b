"""Indexes in 0001 named relation fields ("account") instead of their columns ("account_id"); SQLite took the
unknown names as string constants, so those indexes indexed nothing. Replace them with real ones."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# (model, columns as wrongly written, columns as meant)
FIXES = [
    ("Block", ["target_account", "account"], ["target_account_id", "account_id"]),
    ("Follow", ["target_account", "account"], ["target_account_id", "account_id"]),
    ("Bookmark", ["account", "id"], ["account_id", "id"]),
    ("Favourite", ["account", "id"], ["account_id", "id"]),
    ("Notification", ["account", "id"], ["account_id", "id"]),
    ("Status", ["account", "id"], ["account_id", "id"]),
    ("Status", ["in_reply_to", "id"], ["in_reply_to_id", "id"]),
    ("Status", ["reblog_of", "account"], ["reblog_of_id", "account_id"]),
    ("StatusTag", ["tag", "status"], ["tag_id", "status_id"]),
    ("Mention", ["account", "status"], ["account_id", "status_id"]),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0002_markers")]

    initial = False

    operations = [
        operation
        for model, wrong, right in FIXES
        for operation in (ops.RemoveIndex(model_name=model, name=None, fields=wrong),
                          ops.AddIndex(model_name=model, index=Index(fields=right)))
    ]

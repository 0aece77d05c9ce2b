"""Remote media is cached: an attachment's copy state (pending with its next attempt, cached since when,
failed, pruned) and a remote account's copied avatar and header, each queue read through a partial index."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import SetIndex
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0035_status_edit_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='avatar_file',
            field=fields.CharField(default='', max_length=512),
        ),
        ops.AddField(
            model_name='Account',
            name='header_file',
            field=fields.CharField(default='', max_length=512),
        ),
        ops.AddField(
            model_name='Account',
            name='images_attempts',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Account',
            name='images_fetch_after',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='images_state',
            field=fields.CharField(default='', max_length=8),
        ),
        ops.AddIndex(
            model_name='Account',
            index=SetIndex(fields=['images_fetch_after']),
        ),
        ops.AddField(
            model_name='MediaAttachment',
            name='cached_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='MediaAttachment',
            name='fetch_after',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='MediaAttachment',
            name='fetch_attempts',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='MediaAttachment',
            name='fetch_error',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AddField(
            model_name='MediaAttachment',
            name='remote_state',
            field=fields.CharField(default='', max_length=8),
        ),
        ops.AddIndex(
            model_name='MediaAttachment',
            index=SetIndex(fields=['fetch_after']),
        ),
        ops.AddIndex(
            model_name='MediaAttachment',
            index=SetIndex(fields=['cached_at']),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from node.models.base import snowflake
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0026_instance_info')]

    initial = False

    operations = [
        ops.RemoveField(model_name='Announcement', name='id'),
        ops.AddField(
            model_name='Announcement',
            name='id',
            field=fields.BigIntField(primary_key=True, default=snowflake, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='Announcement',
            index=Index(fields=['id']),
        ),
        ops.RemoveField(model_name='AnnouncementMute', name='id'),
        ops.AddField(
            model_name='AnnouncementMute',
            name='id',
            field=fields.BigIntField(primary_key=True, default=snowflake, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='AnnouncementMute',
            index=Index(fields=['id']),
        ),
        ops.RemoveField(model_name='AnnouncementReaction', name='id'),
        ops.AddField(
            model_name='AnnouncementReaction',
            name='id',
            field=fields.BigIntField(primary_key=True, default=snowflake, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='AnnouncementReaction',
            index=Index(fields=['id']),
        ),
        ops.RemoveField(model_name='InstanceText', name='id'),
        ops.AddField(
            model_name='InstanceText',
            name='id',
            field=fields.BigIntField(primary_key=True, default=snowflake, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='InstanceText',
            index=Index(fields=['id']),
        ),
        ops.RemoveField(model_name='Rule', name='id'),
        ops.AddField(
            model_name='Rule',
            name='id',
            field=fields.BigIntField(primary_key=True, default=snowflake, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='Rule',
            index=Index(fields=['id']),
        ),
        ops.RemoveField(model_name='TermsOfService', name='id'),
        ops.AddField(
            model_name='TermsOfService',
            name='id',
            field=fields.BigIntField(primary_key=True, default=snowflake, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='TermsOfService',
            index=Index(fields=['id']),
        ),
    ]

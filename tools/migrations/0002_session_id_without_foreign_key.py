"""``ToolRun.session_id`` is a plain indexed UUID, no longer a foreign key to chat.

0001 now creates it that way (so tools' migrations do not depend on chat's); a
database made before that keeps its column and values, and loses the constraint here.
"""

from django.db import migrations

from chatui.migration_ops import foreign_keys_drop


class Migration(migrations.Migration):
    dependencies = [("tools", "0001_initial")]

    operations = [foreign_keys_drop("tools", "ToolRun", "session_id")]

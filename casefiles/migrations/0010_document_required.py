# Every version belongs to a document once 0009 has made one for each existing attachment. A migration of its own:
# on PostgreSQL the column cannot be altered in the transaction that has just updated its rows.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casefiles", "0009_documents"),
    ]

    operations = [
        migrations.AlterField(
            model_name="attachment",
            name="document",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="versions", to="casefiles.document",
                verbose_name="document",
            ),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    """The worklist's sort order as an index per state; it replaces (state, due_date), its prefix."""

    dependencies = [("casefiles", "0005_scheme_file_permission")]

    operations = [
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(fields=["state", "due_date", "-created_at", "-id"], name="dossier_state_worklist"),
        ),
        migrations.RemoveIndex(model_name="dossier", name="dossier_state_due"),
    ]

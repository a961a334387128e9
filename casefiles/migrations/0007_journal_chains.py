"""Issue #21: one journal chain per jurisdiction (and ``site``) instead of a single global chain.

Entries written before this migration keep their hashes: they are the ``global`` chain, numbered here by position
in id order, and ``journal_verify`` walks them as it always did (their hash does not cover chain and position).
Rehashing them into per-jurisdiction chains would rewrite an audit trail whose head hash may have been noted
elsewhere, and would launder any edit made before the migration; they are left as they were.
"""

from django.db import migrations, models


def number_the_global_chain(apps, schema_editor):
    JournalEntry = apps.get_model("casefiles", "JournalEntry")
    JournalHead = apps.get_model("casefiles", "JournalHead")
    position, last_hash, batch = 0, "", []
    for entry in JournalEntry.objects.order_by("pk").only("pk", "entry_hash").iterator(chunk_size=5000):
        position += 1
        entry.position, entry.chain, last_hash = position, "global", entry.entry_hash
        batch.append(entry)
        if len(batch) >= 5000:
            JournalEntry.objects.bulk_update(batch, ["position", "chain"])
            batch = []
    if batch:
        JournalEntry.objects.bulk_update(batch, ["position", "chain"])
    head = JournalHead.objects.order_by("pk").first()
    if head is not None:
        # The old single head (written with the explicit id 1, so the id sequence never moved) becomes the
        # ``global`` chain's head under a fresh id, remembering what it remembered: a tail deleted before now is
        # still reported.
        last_hash = head.last_hash
        JournalHead.objects.all().delete()
        JournalHead.objects.create(chain="global", last_hash=last_hash, last_position=position)
    elif position:
        JournalHead.objects.create(chain="global", last_hash=last_hash, last_position=position)


class Migration(migrations.Migration):
    dependencies = [("casefiles", "0006_dossier_state_worklist")]

    operations = [
        migrations.AddField(
            model_name="journalentry",
            name="chain",
            field=models.CharField(default="global", max_length=40, verbose_name="chain"),
        ),
        migrations.AddField(
            model_name="journalentry",
            name="position",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="position in chain"),
        ),
        migrations.AddField(
            model_name="journalhead",
            name="chain",
            field=models.CharField(default="global", max_length=40),
        ),
        migrations.AddField(
            model_name="journalhead",
            name="last_position",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(number_the_global_chain, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="journalhead",
            name="chain",
            field=models.CharField(max_length=40, unique=True),
        ),
        migrations.AddConstraint(
            model_name="journalentry",
            constraint=models.UniqueConstraint(fields=("chain", "position"), name="journal_entry_unique_chain_position"),
        ),
    ]

"""The rule rows of a scheme (tiers, criteria, services, states, transitions, materials, preconditions, revocation
reasons, recognitions) mirror the scheme file and are written set-wise by the loader (casefiles/schemes/upsert.py):
Wagtail's reference index no longer tracks them (``wagtail_reference_index_ignore``). The references they had
recorded are removed, so that no "usage" page lists a row the index no longer keeps up to date."""

from django.db import migrations

RULE_MODELS = ("precondition", "tier", "criterion", "serviceitem", "recognition", "workflowstate",
               "workflowtransition", "materialrequirement", "revocationreason")


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ReferenceIndex = apps.get_model("wagtailcore", "ReferenceIndex")
    kinds = ContentType.objects.filter(app_label="casefiles", model__in=RULE_MODELS)
    ReferenceIndex.objects.filter(content_type__in=kinds).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casefiles", "0014_service_requested_by"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0096_referenceindex_referenceindex_source_object_and_more"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

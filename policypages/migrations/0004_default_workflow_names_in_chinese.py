from django.db import migrations

# Wagtail's own migrations create the default page workflow and its task named in English; officers read the task's
# name in the workflow reports and on pages in moderation.
NAMES = {"Moderators approval": "审核员审批"}


def names_in_chinese(apps, schema_editor):
    for model in ("Workflow", "Task"):
        Model = apps.get_model("wagtailcore", model)
        for english, chinese in NAMES.items():
            Model.objects.filter(name=english).update(name=chinese)


def names_in_english(apps, schema_editor):
    for model in ("Workflow", "Task"):
        Model = apps.get_model("wagtailcore", model)
        for english, chinese in NAMES.items():
            Model.objects.filter(name=chinese).update(name=english)


class Migration(migrations.Migration):
    dependencies = [
        ("policypages", "0003_four_eyes_approval_task"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(names_in_chinese, names_in_english)]

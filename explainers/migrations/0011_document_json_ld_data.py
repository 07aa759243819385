# The page document's JSON-LD members are stored as JSON data rather than as serialised members
# without their braces: the stored text becomes the JSON object it was the inside of.

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Concat


def members_to_objects(apps, schema_editor):
    ArticleDocument = apps.get_model("explainers", "ArticleDocument")
    ArticleDocument.objects.update(
        json_ld=Concat(Value("{"), "json_ld", Value("}"), output_field=models.TextField())
    )


def discard_documents(apps, schema_editor):
    # Page documents are derived data: the pages rebuild them when first read (or run
    # `manage.py rebuild_documents`).
    apps.get_model("explainers", "ArticleDocument").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("explainers", "0010_unicode_slugs"),
    ]

    operations = [
        migrations.RunPython(members_to_objects, discard_documents),
        migrations.AlterField(
            model_name="articledocument",
            name="json_ld",
            field=models.JSONField(default=dict),
        ),
    ]

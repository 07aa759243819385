"""Stable UUIDs for the records an export names (explainers.portability): added empty, given one
each, then made unique — Django's way of adding a unique field to rows that exist."""

import uuid

from django.db import migrations, models

MODELS = ("author", "speaker", "source", "article", "questionsection", "quote")


def give_uuids(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("explainers", name)
        batch = []
        for record in model.objects.filter(uuid__isnull=True).only("pk").iterator(chunk_size=2000):
            record.uuid = uuid.uuid4()
            batch.append(record)
            if len(batch) == 2000:
                model.objects.bulk_update(batch, ["uuid"])
                batch = []
        model.objects.bulk_update(batch, ["uuid"])


def field(**kwargs):
    return models.UUIDField("UUID", editable=False, **kwargs)


class Migration(migrations.Migration):
    dependencies = [("explainers", "0018_expiry_and_redirects")]

    operations = [
        *(migrations.AddField(name, "uuid", field(null=True)) for name in MODELS),
        migrations.RunPython(give_uuids, migrations.RunPython.noop, elidable=True),
        *(
            migrations.AlterField(name, "uuid", field(default=uuid.uuid4, unique=True))
            for name in MODELS
        ),
    ]

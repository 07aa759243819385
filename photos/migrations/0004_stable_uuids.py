"""A stable UUID for each photo (explainers.portability): added empty, given one each, then
made unique."""

import uuid

from django.db import migrations, models


def give_uuids(apps, schema_editor):
    Photo = apps.get_model("photos", "Photo")
    photos = list(Photo.objects.filter(uuid__isnull=True).only("pk"))
    for photo in photos:
        photo.uuid = uuid.uuid4()
    Photo.objects.bulk_update(photos, ["uuid"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("photos", "0003_index_existing_renditions")]

    operations = [
        migrations.AddField("photo", "uuid", models.UUIDField("UUID", editable=False, null=True)),
        migrations.RunPython(give_uuids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            "photo",
            "uuid",
            models.UUIDField("UUID", default=uuid.uuid4, editable=False, unique=True),
        ),
    ]

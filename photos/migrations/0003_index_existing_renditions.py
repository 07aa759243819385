"""Fill the new rendition index from the renditions already made."""

from django.db import migrations


def index(apps, schema_editor):
    Photo = apps.get_model("photos", "Photo")
    Rendition = apps.get_model("photos", "Rendition")
    for photo in Photo.objects.all():
        photo.rendition_index = {
            r.spec: {"name": r.file.name, "width": r.width, "height": r.height, "size": r.size}
            for r in Rendition.objects.filter(photo=photo)
        }
        photo.save(update_fields=["rendition_index"])


class Migration(migrations.Migration):
    dependencies = [("photos", "0002_rendition_index")]

    operations = [migrations.RunPython(index, migrations.RunPython.noop)]

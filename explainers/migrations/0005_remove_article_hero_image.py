from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("explainers", "0004_move_heroes_to_photo_library"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='article',
            name='hero_alt',
        ),
        migrations.RemoveField(
            model_name='article',
            name='hero_height',
        ),
        migrations.RemoveField(
            model_name='article',
            name='hero_image',
        ),
        migrations.RemoveField(
            model_name='article',
            name='hero_width',
        ),
    ]

# Slugs in any script: a Cyrillic, Greek or CJK name or headline gets a readable address.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("explainers", "0009_updated_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="article",
            name="slug",
            field=models.SlugField(
                allow_unicode=True,
                help_text="The last part of the article's address: letters in any script, digits "
                "and hyphens.",
                max_length=200,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="author",
            name="slug",
            field=models.SlugField(allow_unicode=True, max_length=200, unique=True),
        ),
        migrations.AlterField(
            model_name="speaker",
            name="slug",
            field=models.SlugField(allow_unicode=True, max_length=200, unique=True),
        ),
    ]

"""Each article's own hero image becomes a photo in the library, keeping its alt text, caption
and credit; the article points at it. Renditions are made afterwards by
`manage.py rebuild_renditions --missing-only` (a migration should not decode images)."""

from django.db import migrations


def move_heroes(apps, schema_editor):
    Article = apps.get_model("explainers", "Article")
    Photo = apps.get_model("photos", "Photo")
    for article in Article.objects.exclude(hero_image="").exclude(hero_image__isnull=True):
        photo = Photo.objects.create(
            image=article.hero_image.name,
            title=article.headline[:200],
            alt_text=article.hero_alt,
            caption=article.hero_caption,
            credit=article.hero_credit,
            width=article.hero_width,
            height=article.hero_height,
        )
        # The caption and credit now come from the photo; the story keeps no override.
        Article.objects.filter(pk=article.pk).update(hero_photo=photo, hero_caption="", hero_credit="")


def move_back(apps, schema_editor):
    Article = apps.get_model("explainers", "Article")
    for article in Article.objects.exclude(hero_photo=None).select_related("hero_photo"):
        photo = article.hero_photo
        Article.objects.filter(pk=article.pk).update(
            hero_image=photo.image.name,
            hero_alt=photo.alt_text,
            hero_caption=article.hero_caption or photo.caption,
            hero_credit=article.hero_credit or photo.credit,
            hero_width=photo.width,
            hero_height=photo.height,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("explainers", "0003_hero_photo_field"),
        ("photos", "0001_initial"),
    ]

    operations = [migrations.RunPython(move_heroes, move_back)]

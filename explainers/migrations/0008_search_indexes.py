"""GIN indexes for full-text search on PostgreSQL, over exactly the expressions explainers.search
queries. Other databases use the simple search and get no index."""

from django.db import migrations

ARTICLE_INDEX = "article_search_gin"
SECTION_INDEX = "section_search_gin"


def indexes(apps):
    from django.contrib.postgres.indexes import GinIndex

    from explainers.search import article_vector, section_vector

    return [
        (apps.get_model("explainers", "Article"), GinIndex(article_vector(), name=ARTICLE_INDEX)),
        (
            apps.get_model("explainers", "QuestionSection"),
            GinIndex(section_vector(), name=SECTION_INDEX),
        ),
    ]


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in indexes(apps):
            schema_editor.add_index(model, index)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in indexes(apps):
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [("explainers", "0007_article_document")]

    operations = [migrations.RunPython(add, remove)]

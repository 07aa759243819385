"""GIN indexes for full-text search of Russian explainers on PostgreSQL, in the "russian"
text-search configuration: the expressions explainers.search queries for a Russian search page
(0008 made the English ones). Other databases use the simple search and get no index."""

from django.db import migrations

INDEXES = {"Article": "article_search_ru_gin", "QuestionSection": "section_search_ru_gin"}


def indexes(apps):
    from django.contrib.postgres.indexes import GinIndex

    from explainers.search import article_vector, section_vector

    vectors = {"Article": article_vector("russian"), "QuestionSection": section_vector("russian")}
    return [
        (apps.get_model("explainers", model), GinIndex(vectors[model], name=name))
        for model, name in INDEXES.items()
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
    dependencies = [("explainers", "0015_document_translations")]

    operations = [migrations.RunPython(add, remove)]

"""
Every write that changes what an article page shows marks that article's page document for
rebuilding (explainers.document.changed) — from the admin, an import, the shell or a test alike.
Connected in ExplainersConfig.ready().
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from taggit.models import Tag, TaggedItem

from photos.models import Photo

from . import document
from .models import Article, Author, Byline, QuestionSection, Quote, Source, Speaker, UpdateNote

ARTICLE_PARTS = (QuestionSection, Quote, UpdateNote, Byline)


@receiver(post_save, sender=Article)
def article_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        document.changed([instance.pk])


def part_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        document.changed([instance.article_id])


for model in ARTICLE_PARTS:
    post_save.connect(part_changed, sender=model, dispatch_uid=f"document-{model.__name__}-save")
    post_delete.connect(
        part_changed, sender=model, dispatch_uid=f"document-{model.__name__}-delete"
    )


def citations_changed(owner, to_articles):
    """An m2m_changed handler for a table of sources cited by `owner` (the article or question
    column); `to_articles(pks)` turns owner pks into article ids."""

    def handler(sender, instance, action, reverse, pk_set, **kwargs):
        if not reverse:
            if action.startswith("post_"):
                document.changed(to_articles([instance.pk]))
            return
        # From the source's side: the rows are the articles' (or sections'); a clear names none,
        # so they are looked up before it.
        if action == "pre_clear":
            rows = sender.objects.filter(source=instance).values_list(owner, flat=True)
            instance._newsroom_cleared = set(rows)
        elif action == "post_clear":
            document.changed(to_articles(getattr(instance, "_newsroom_cleared", ())))
        elif action.startswith("post_"):
            document.changed(to_articles(pk_set or ()))

    return handler


m2m_changed.connect(
    citations_changed("article_id", lambda pks: pks),
    sender=Article.lead_sources.through,
    dispatch_uid="document-lead-sources",
    weak=False,
)
m2m_changed.connect(
    citations_changed(
        "questionsection_id",
        lambda pks: QuestionSection.objects.filter(pk__in=pks).values_list("article_id", flat=True),
    ),
    sender=QuestionSection.sources.through,
    dispatch_uid="document-section-sources",
    weak=False,
)


@receiver(post_save, sender=TaggedItem)
@receiver(post_delete, sender=TaggedItem)
def tagged_item_changed(sender, instance, raw=False, **kwargs):
    """taggit adds, removes and clears an article's tags row by row, so these cover them all."""
    if not raw and instance.content_type_id == ContentType.objects.get_for_model(Article).pk:
        document.changed([instance.object_id])


@receiver(post_save, sender=Photo)
def photo_saved(sender, instance, created=False, raw=False, **kwargs):
    """A hero photo's alt text, caption, credit or crops changed."""
    if not raw and not created:
        document.changed(instance.hero_of.values_list("pk", flat=True))


# Records shown on many pages: the articles showing them, found before a deletion takes the
# links with it.

SHOWN_BY = {
    Author: lambda records: Q(authors__in=records),
    Speaker: lambda records: Q(quotes__speaker__in=records),
    Source: lambda records: (
        Q(lead_sources__in=records)
        | Q(sections__sources__in=records)
        | Q(quotes__source__in=records)
    ),
    Tag: lambda records: Q(tags__in=records),
}


def articles_showing(model, records):
    return set(Article.objects.filter(SHOWN_BY[model](records)).values_list("pk", flat=True))


def shared_record_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and not created:
        document.changed(articles_showing(sender, [instance]))


def shared_record_deleting(sender, instance, **kwargs):
    instance._newsroom_articles = articles_showing(sender, [instance])


def shared_record_deleted(sender, instance, **kwargs):
    document.changed(getattr(instance, "_newsroom_articles", ()))


for model in SHOWN_BY:
    name = model.__name__
    post_save.connect(shared_record_saved, sender=model, dispatch_uid=f"document-{name}-save")
    pre_delete.connect(shared_record_deleting, sender=model, dispatch_uid=f"document-{name}-pre")
    post_delete.connect(shared_record_deleted, sender=model, dispatch_uid=f"document-{name}-del")

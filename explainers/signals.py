"""
The change pipeline's entry points: every write that changes what a reader page shows tells
explainers.changes which articles changed — from the admin, an import, a restored revision, the
shell or a test alike. Connected in ExplainersConfig.ready().

Raw saves count too: django-reversion restores a revision with them (loaddata as well). Before a
write that can move an article's pages (its slug or date, its tags or authors, a tag's slug) the
groups it is in are noted, so the old pages are refreshed as well as the new.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from taggit.models import Tag, TaggedItem

from photos.models import Photo

from . import changes, redirects
from .models import (
    Article,
    Author,
    Byline,
    LocalName,
    QuestionSection,
    Quote,
    Redirect,
    Source,
    Speaker,
    UpdateNote,
)

ARTICLE_PARTS = (QuestionSection, Quote, UpdateNote, Byline)


def identity_kept(sender, instance, raw=False, **kwargs):
    """A record's UUID (its name in exports) never changes. django-reversion restores a revision
    with raw saves, and one made before the record had a UUID gives it a new default: the stored
    one is kept."""
    if raw and instance.pk:
        stored = sender.objects.filter(pk=instance.pk).values_list("uuid", flat=True).first()
        if stored:
            instance.uuid = stored


for model in (Article, QuestionSection, Quote):
    pre_save.connect(identity_kept, sender=model, dispatch_uid=f"identity-{model.__name__}")


@receiver(pre_save, sender=Article)
def article_moving(sender, instance, **kwargs):
    """Its slug or date may change: the old address and month are refreshed too, and the
    address readers had is remembered, to redirect to the new one."""
    if instance.pk:
        changes.before([instance.pk])
        old = (
            Article.objects.filter(pk=instance.pk)
            .only("slug", "published_at", "status", "expires_at", "language")
            .first()
        )
        instance._newsroom_public_address = redirects.public_address(old)


@receiver(post_save, sender=Article)
def article_moved(sender, instance, created=False, **kwargs):
    redirects.record_move(instance, getattr(instance, "_newsroom_public_address", None), created)
    instance._newsroom_public_address = None


@receiver(pre_delete, sender=Article)
def article_deleting(sender, instance, **kwargs):
    changes.before([instance.pk], everything=True)


@receiver(post_save, sender=Article)
@receiver(post_delete, sender=Article)
def article_changed(sender, instance, **kwargs):
    # Its language versions link to it (hreflang, the language switch): their pages change too.
    versions = Article.objects.filter(translation_key=instance.translation_key).values_list(
        "pk", flat=True
    )
    changes.articles_changed([instance.pk, *versions])


@receiver(pre_save, sender=Byline)
@receiver(pre_delete, sender=Byline)
def byline_moving(sender, instance, **kwargs):
    """The author it named (before a change) no longer lists the article."""
    old = Byline.objects.filter(pk=instance.pk).values_list("author__slug", flat=True).first()
    if old:
        changes.before_groups({f"author:{old}"})


def part_changed(sender, instance, **kwargs):
    changes.articles_changed([instance.article_id])


for model in ARTICLE_PARTS:
    post_save.connect(part_changed, sender=model, dispatch_uid=f"changes-{model.__name__}-save")
    post_delete.connect(part_changed, sender=model, dispatch_uid=f"changes-{model.__name__}-del")


def citations_changed(owner, to_articles):
    """An m2m_changed handler for a table of sources cited by `owner` (the article or question
    column); `to_articles(pks)` turns owner pks into article ids."""

    def handler(sender, instance, action, reverse, pk_set, **kwargs):
        if not reverse:
            if action.startswith("post_"):
                changes.articles_changed(to_articles([instance.pk]))
            return
        # From the source's side: the rows are the articles' (or sections'); a clear names none,
        # so they are looked up before it.
        if action == "pre_clear":
            rows = sender.objects.filter(source=instance).values_list(owner, flat=True)
            instance._newsroom_cleared = set(rows)
        elif action == "post_clear":
            changes.articles_changed(to_articles(getattr(instance, "_newsroom_cleared", ())))
        elif action.startswith("post_"):
            changes.articles_changed(to_articles(pk_set or ()))

    return handler


m2m_changed.connect(
    citations_changed("article_id", lambda pks: pks),
    sender=Article.lead_sources.through,
    dispatch_uid="changes-lead-sources",
    weak=False,
)
m2m_changed.connect(
    citations_changed(
        "questionsection_id",
        lambda pks: QuestionSection.objects.filter(pk__in=pks).values_list("article_id", flat=True),
    ),
    sender=QuestionSection.sources.through,
    dispatch_uid="changes-section-sources",
    weak=False,
)


@receiver(m2m_changed, sender=Article.authors.through)
def authors_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """article.authors.add() and author.articles.add() write Byline rows in bulk, without the
    rows' own signals."""
    if not action.startswith("post_"):
        if action == "pre_clear" and reverse:
            instance._newsroom_cleared = set(instance.articles.values_list("pk", flat=True))
        return
    if not reverse:
        changes.articles_changed([instance.pk])
        changes.before_groups(
            {
                f"author:{slug}"
                for slug in Author.objects.filter(pk__in=pk_set or ()).values_list(
                    "slug", flat=True
                )
            }
        )
    elif action == "post_clear":
        changes.articles_changed(getattr(instance, "_newsroom_cleared", ()))
    else:
        changes.articles_changed(pk_set or ())
    if reverse:
        changes.before_groups({f"author:{instance.slug}"})


def tags_an_article(item):
    return item.content_type_id == ContentType.objects.get_for_model(Article).pk


@receiver(pre_save, sender=TaggedItem)
@receiver(pre_delete, sender=TaggedItem)
def tagging_moving(sender, instance, **kwargs):
    """The tag's page no longer lists the article (a row repointed by a merge, or removed)."""
    if instance.pk and tags_an_article(instance):
        old = TaggedItem.objects.filter(pk=instance.pk).values_list("tag__slug", flat=True)
        changes.before_groups({f"tag:{slug}" for slug in old})


@receiver(post_save, sender=TaggedItem)
@receiver(post_delete, sender=TaggedItem)
def tagging_changed(sender, instance, **kwargs):
    """taggit adds, removes and clears an article's tags row by row, so these cover them all."""
    if tags_an_article(instance):
        changes.articles_changed([instance.object_id])


@receiver(post_save, sender=Photo)
def photo_saved(sender, instance, created=False, **kwargs):
    """A hero photo's alt text, caption, credit, crops or renditions changed."""
    if not created:
        changes.articles_changed(instance.hero_of.values_list("pk", flat=True))


# Records shown on many pages (a speaker's name is on every page quoting them, and on their own
# page): the articles showing them, found before a deletion takes the links with it. A change to
# one also invalidates every cached page, as lists and the record's own pages show it too.

SHOWN_BY = {
    Author: lambda records: Q(authors__in=records),
    Speaker: lambda records: Q(quotes__speaker__in=records),
    # One subquery per way an article cites a source: joining all three multiplies the rows.
    Source: lambda records: (
        Q(pk__in=Article.lead_sources.through.objects.filter(source__in=records).values("article"))
        | Q(pk__in=QuestionSection.objects.filter(sources__in=records).values("article"))
        | Q(pk__in=Quote.objects.filter(source__in=records).values("article"))
    ),
    Tag: lambda records: Q(tags__in=records),
    Photo: lambda records: Q(hero_photo__in=records),
}


# The page-cache group of a record's own page (a tag's and an author's pages are cached).
OWN_PAGES = {Tag: "tag", Author: "author"}


def articles_showing(model, records):
    return set(Article.objects.filter(SHOWN_BY[model](records)).values_list("pk", flat=True))


def shared_record_moving(sender, instance, **kwargs):
    """Before a rename or a deletion: the articles showing the record (a deletion takes the
    links with it), and the record's own pages under its old slug."""
    if instance.pk:
        instance._newsroom_articles = articles_showing(sender, [instance])
        changes.before(instance._newsroom_articles, everything=True)
        if sender in OWN_PAGES:
            old = sender.objects.filter(pk=instance.pk).values_list("slug", flat=True)
            changes.before_groups({f"{OWN_PAGES[sender]}:{slug}" for slug in old})


def shared_record_changed(sender, instance, created=False, **kwargs):
    if not created:
        changes.articles_changed(getattr(instance, "_newsroom_articles", ()))
        changes.site_changed()


for model in (Author, Speaker, Source, Tag):
    name = model.__name__
    pre_save.connect(shared_record_moving, sender=model, dispatch_uid=f"changes-{name}-pre-save")
    pre_delete.connect(shared_record_moving, sender=model, dispatch_uid=f"changes-{name}-pre-del")
    post_save.connect(shared_record_changed, sender=model, dispatch_uid=f"changes-{name}-save")
    post_delete.connect(shared_record_changed, sender=model, dispatch_uid=f"changes-{name}-del")


@receiver(post_save, sender=Redirect)
@receiver(post_delete, sender=Redirect)
def redirect_changed(sender, instance, **kwargs):
    """A redirect added or removed: the edge's copy of the article's 301s goes with its pages'
    key (nothing of the article itself changed, so no rebuild)."""
    changes.articles_changed(groups={f"article-id:{instance.article_id}"})


# A record's name in another language is shown on that language's pages: the articles in it
# showing the record, and (through "site") every list. Before a save, the language it had, so
# that moving a name from one language to another refreshes both.


@receiver(pre_save, sender=LocalName)
@receiver(pre_delete, sender=LocalName)
def local_name_moving(sender, instance, **kwargs):
    old = LocalName.objects.filter(pk=instance.pk).values_list("language", flat=True)
    instance._newsroom_languages = set(old) if instance.pk else set()


@receiver(post_save, sender=LocalName)
@receiver(post_delete, sender=LocalName)
def local_name_changed(sender, instance, **kwargs):
    model = instance.content_type.model_class()
    if model not in SHOWN_BY:
        return
    languages = {instance.language, *getattr(instance, "_newsroom_languages", ())}
    shown = Article.objects.filter(SHOWN_BY[model]([instance.object_id]), language__in=languages)
    changes.articles_changed(set(shown.values_list("pk", flat=True)))
    changes.site_changed()


@receiver(post_delete, sender=Tag)
def tag_deleted(sender, instance, **kwargs):
    """A tag's names in other languages go with it (taggit's Tag has no GenericRelation to
    cascade them, as Speaker and Source have)."""
    LocalName.objects.filter(
        content_type=ContentType.objects.get_for_model(Tag), object_id=instance.pk
    ).delete()

"""
The change pipeline: the one way "these articles' pages changed" reaches every layer that keeps
a copy of them.

Every write reaches it through the model signals in explainers.signals — saves and deletes of an
article and its parts, m2m changes, django-reversion's raw saves when a revision is restored,
tags renamed, merged or deleted, speakers, sources, authors and photos edited — and commands that
rebuild derived data call it directly. No write path touches a cache by hand.

Inside the write's transaction `before()` notes the cache groups the articles are in as they
stand (their old slug, date, tags and authors) and `articles_changed()` discards their page
documents, so nothing reads an old one. When the transaction commits, one callback, in this order
by construction:

1. rebuilds the page documents (explainers.document.rebuild);
2. invalidates the cached pages that showed the articles before and show them now
   (explainers.pagecache.bump);
3. sends `pages_changed(article_ids=…, groups=…)`, where further layers (the edge cache, the
   content API's cache) listen.

A change touching more than NEWSROOM_REBUILD_INLINE articles (a speaker quoted on thousands)
does 2 and 3 at once and leaves 1 to background tasks in batches (refresh_later): the documents
are already discarded, and a reader who finds none renders it on demand.

Pending work gathers per connection, so an admin save touching forty rows rebuilds each article
once. What a rolled-back transaction left pending is done with the next commit: harmless.
"""

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from . import document, pagecache

# Sent once per committed change with `article_ids` (a set) and `groups` (the page-cache groups
# invalidated, "site" among them when every page was).
pages_changed = Signal()


@dataclass
class Pending:
    article_ids: set = field(default_factory=set)
    groups: set = field(default_factory=set)


def pending():
    state = getattr(connection, "newsroom_changes", None)
    if state is None:
        state = connection.newsroom_changes = Pending()
    return state


def before(article_ids, *, everything=False):
    """Note the pages these articles are on now, before a write moves them (called from
    pre_save and pre_delete signals): their own address and month — or, with `everything`
    (a deletion), every group article_groups() names. Nothing is deduplicated: what a
    rolled-back transaction noted only invalidates a few pages more at the next commit."""
    ids = {pk for pk in article_ids if pk is not None}
    if ids:
        before_groups(article_groups(ids) if everything else own_groups(ids))


def before_groups(groups):
    pending().groups.update(groups)


def articles_changed(article_ids=(), groups=()):
    """These articles' pages changed (and these extra groups): refresh every layer on commit."""
    ids = {pk for pk in article_ids if pk is not None}
    if not ids and not groups:
        return
    state = pending()
    if ids:
        document.discard(ids)
        state.article_ids |= ids
    state.groups |= set(groups)
    transaction.on_commit(flush)


def site_changed():
    """Something every page may show changed (a speaker, source, author or tag renamed)."""
    articles_changed(groups={pagecache.SITE})


def flush():
    """The on-commit step: everything pending, through every layer, in order."""
    state = pending()
    ids, groups = set(state.article_ids), set(state.groups)
    state.article_ids.clear()
    state.groups.clear()
    if len(ids) <= inline_limit():
        refresh(ids, groups)
    else:
        refresh_later(ids, groups)


def inline_limit():
    from django.conf import settings

    return getattr(settings, "NEWSROOM_REBUILD_INLINE", 20)


def refresh_later(article_ids, groups=()):
    """A change shown on many articles (a speaker, source, tag, author or photo renamed): their
    documents were discarded inside the write's transaction (articles_changed), so invalidate
    their pages and tell the listeners now, and rebuild the documents in background tasks, in
    batches (explainers.tasks.rebuild_documents). Until a batch is done a reader of one of
    those pages renders its document on demand (document.stored): never an old page."""
    from . import tasks

    ids, groups = set(article_ids), set(groups)
    groups |= article_groups(ids)
    pagecache.bump(groups)
    pages_changed.send(sender=None, article_ids=ids, groups=groups)
    tasks.rebuild_later(ids)


def refresh(article_ids, groups=()):
    """Rebuild these articles' documents, then invalidate their pages (and `groups`), then tell
    the listeners. Called on commit by flush(), and directly by commands that rebuild derived
    data with no write of their own (rebuild_documents after a template change)."""
    ids, groups = set(article_ids), set(groups)
    if not (ids or groups):
        return
    try:
        document.rebuild(ids)
    finally:
        # Even if a rebuild fails, no cached page may outlive the change: readers rebuild
        # missing documents themselves.
        groups |= article_groups(ids)
        pagecache.bump(groups)
    pages_changed.send(sender=None, article_ids=ids, groups=groups)


def refresh_all(articles, batch_size=200, progress=None):
    """refresh() these articles (a queryset) in batches; returns how many."""
    ids = list(articles.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        refresh(ids[start : start + batch_size])
        if progress:
            progress(min(start + batch_size, len(ids)), len(ids))
    return len(ids)


def article_groups(article_ids):
    """The cache groups of the pages that show these articles, as they are in the database now:
    the article's own page, the lists (home, archives, feeds, sitemaps), its month, its tags'
    and its authors' pages. Three queries however many articles."""
    from taggit.models import TaggedItem

    from .models import Byline

    ids = set(article_ids)
    groups = own_groups(ids)
    if not groups:
        return groups
    groups |= {"home", "archive", "feeds", "sitemaps"}
    tag_slugs = TaggedItem.objects.filter(
        content_type__app_label="explainers",
        content_type__model="article",
        object_id__in=ids,
    ).values_list("tag__slug", flat=True)
    groups |= {f"tag:{slug}" for slug in tag_slugs}
    author_slugs = Byline.objects.filter(article_id__in=ids).values_list("author__slug", flat=True)
    groups |= {f"author:{slug}" for slug in author_slugs}
    return groups


def own_groups(article_ids):
    """The groups of the articles' own pages: their address, their month's archive, and their
    answer in the content API (by id: `article-id:<pk>`)."""
    from .models import Article

    groups = set()
    if not article_ids:
        return groups
    rows = Article.objects.filter(pk__in=article_ids).values_list("pk", "slug", "published_at")
    for pk, slug, published_at in rows:
        groups.add(f"article:{slug}")
        groups.add(f"article-id:{pk}")
        if published_at:
            month = timezone.localtime(published_at)
            groups.add(f"month:{month.year}-{month.month:02d}")
    return groups

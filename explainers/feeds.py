"""RSS and Atom feeds for the whole site, each tag and each author (django.contrib.syndication)."""

import mimetypes

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure
from django.utils.translation import gettext
from taggit.models import Tag

from .languages import reader_language
from .models import Article, Author, localize

FEED_SIZE = 20


class LatestExplainersFeed(Feed):
    description_template = "explainers/feed_description.html"

    @classmethod
    def as_view(cls):
        """A view that makes a feed per request: the feed keeps the request (for absolute image
        URLs), so one instance must never serve two threads."""

        def view(request, *args, **kwargs):
            return cls()(request, *args, **kwargs)

        return view

    # The site's feeds, one per language (/feeds/rss/, /ru/feeds/rss/): every feed lists the
    # articles in the language of its address, and links to that language's pages.
    url_name = "feed_rss"

    def title(self, obj=None):
        return settings.NEWSROOM_SITE_NAME

    def link(self, obj=None):
        return reverse("explainers:home")

    def description(self, obj=None):
        return gettext(settings.NEWSROOM_SITE_DESCRIPTION)

    def feed_url(self, obj=None):
        return reverse(f"explainers:{self.url_name}")

    def articles(self, obj):
        return Article.objects.listed()

    def items(self, obj=None):
        return self.articles(obj).for_listing().prefetch_related("tags", "sections")[:FEED_SIZE]

    def item_title(self, article):
        return article.headline

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return article.updated_at

    def item_author_name(self, article):
        return ", ".join(byline.author.name for byline in article.bylines.all()) or None

    def item_author_link(self, article):
        bylines = article.bylines.all()
        if len(bylines) != 1:
            return None
        # Django makes the item's link absolute but not the author's.
        return self.request.build_absolute_uri(bylines[0].author.get_absolute_url())

    def item_categories(self, article):
        return [tag.name for tag in article.tags.all()]

    def item_enclosures(self, article):
        photo = article.hero_photo
        if photo is None:
            return []
        image = photo.fallback
        size = image["size"]
        if size is None:
            try:
                size = photo.image.size
            except OSError:
                return []  # a missing file must not break the feed
        url = self.request.build_absolute_uri(image["url"])
        return [Enclosure(url, str(size), mimetypes.guess_type(image["url"])[0] or "image/jpeg")]

    def get_feed(self, obj, request):
        self.request = request
        self.language = reader_language()
        return super().get_feed(obj, request)


class LatestExplainersAtomFeed(LatestExplainersFeed):
    feed_type = Atom1Feed
    subtitle = LatestExplainersFeed.description
    url_name = "feed_atom"


class TagFeed(LatestExplainersFeed):
    def get_object(self, request, slug):
        return localize([get_object_or_404(Tag, slug=slug)], reader_language())[0]

    def title(self, tag):
        return f"{tag.name} — {settings.NEWSROOM_SITE_NAME}"

    def link(self, tag):
        return reverse("explainers:tag", kwargs={"slug": tag.slug})

    def description(self, tag):
        return gettext("Explainers about %(topic)s.") % {"topic": tag.name}

    def feed_url(self, tag):
        return reverse("explainers:tag_feed_rss", kwargs={"slug": tag.slug})

    def articles(self, tag):
        return Article.objects.listed().tagged(tag)


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed
    subtitle = TagFeed.description

    def feed_url(self, tag):
        return reverse("explainers:tag_feed_atom", kwargs={"slug": tag.slug})


class AuthorFeed(LatestExplainersFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Author, slug=slug)

    def title(self, author):
        return f"{author.name} — {settings.NEWSROOM_SITE_NAME}"

    def link(self, author):
        return author.get_absolute_url()

    def description(self, author):
        return gettext("Explainers by %(author)s.") % {"author": author.name}

    def feed_url(self, author):
        return reverse("explainers:author_feed_rss", kwargs={"slug": author.slug})

    def articles(self, author):
        return Article.objects.listed().by_author(author)


class AuthorAtomFeed(AuthorFeed):
    feed_type = Atom1Feed
    subtitle = AuthorFeed.description

    def feed_url(self, author):
        return reverse("explainers:author_feed_atom", kwargs={"slug": author.slug})

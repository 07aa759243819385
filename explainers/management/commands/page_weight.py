"""
Print what a reader downloads for an article page, photos aside: HTML, CSS and JavaScript.

    python manage.py page_weight [--slug SLUG] [--budget 60]

Measures the newest published explainer unless a slug is given. Sizes are as sent (raw) and
gzip-compressed, in bytes; the total of raw sizes is compared with the budget in KB.
"""

import gzip
from html.parser import HTMLParser

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from explainers.models import Article


class AssetParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.styles, self.scripts = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.styles.append(attrs["href"])
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])


def static_bytes(url):
    path = finders.find(url.lstrip("/").removeprefix(settings.STATIC_URL.lstrip("/")))
    if path is None:
        raise CommandError(f"{url}: not found among the static files.")
    with open(path, "rb") as handle:
        return handle.read()


def measure(article):
    """(label, raw bytes, gzip bytes) for the page's HTML and every stylesheet and script."""
    host = next((h for h in settings.ALLOWED_HOSTS if h and h[0] not in ".*"), "localhost")
    response = Client(HTTP_HOST=host).get(article.get_absolute_url())
    if response.status_code != 200:
        raise CommandError(f"{article.get_absolute_url()} answered {response.status_code}.")
    html = response.content
    parser = AssetParser()
    parser.feed(html.decode())
    rows = [("HTML", html)]
    rows += [(f"CSS {url}", static_bytes(url)) for url in parser.styles]
    rows += [(f"JS {url}", static_bytes(url)) for url in parser.scripts]
    return [(label, len(body), len(gzip.compress(body))) for label, body in rows]


class Command(BaseCommand):
    help = "Print the article page's weight (HTML + CSS + JS, without photos) against a budget."

    def add_arguments(self, parser):
        parser.add_argument("--slug", help="The article to measure (default: the newest).")
        parser.add_argument("--budget", type=int, default=60, help="Budget in KB (default 60).")

    def handle(self, slug=None, budget=60, **options):
        articles = Article.objects.published()
        article = articles.filter(slug=slug).first() if slug else articles.first()
        if article is None:
            raise CommandError("No published article to measure; run `manage.py load_demo` first.")
        rows = measure(article)
        self.stdout.write(f"Page weight of {article.get_absolute_url()} (photos excluded):")
        for label, raw, packed in rows:
            self.stdout.write(f"  {label:<40} {raw:>8,} bytes  {packed:>7,} gzipped")
        total, total_packed = sum(r[1] for r in rows), sum(r[2] for r in rows)
        scripts = sum(r[1] for r in rows if r[0].startswith("JS"))
        self.stdout.write(f"  {'total':<40} {total:>8,} bytes  {total_packed:>7,} gzipped")
        self.stdout.write(f"  JavaScript: {scripts:,} bytes")
        line = f"{total / 1024:.1f} KB of a {budget} KB budget"
        if total > budget * 1024:
            raise CommandError(f"Over budget: {line}.")
        self.stdout.write(self.style.SUCCESS(f"Within budget: {line}."))

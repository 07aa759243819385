"""
Newsroom at scale: seed 100,000 explainers (500,000 question sections) on PostgreSQL, then print
the p50/p99 latency of the pages that grow with the archive, rendered uncached.

    .venv/bin/python bench/scale.py                     # seeds once, then measures
    .venv/bin/python bench/scale.py --articles 5000     # a smaller archive
    .venv/bin/python bench/scale.py --quick             # a tiny archive and few requests (CI)

Works on its own database (default postgres://postgres@127.0.0.1:5432/newsroom_scale, created
if missing; `--database-url` to change it), never on the site's. Seeding uses bulk inserts with a
progress bar and is skipped when the database already holds the requested archive.
"""

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 100
SECTIONS_PER_ARTICLE = 5
BATCH = 5000


def prepare_environment(database_url):
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            # As the figures were always taken: development settings (plain HTTP, no key needed).
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": database_url,
            "NEWSROOM_PAGE_CACHE": "0",  # measure rendering, not the cache
            "NEWSROOM_REQUEST_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def ensure_database(database_url):
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def progress(label, done, total, started):
    bar = "#" * round(30 * done / total)
    rate = done / max(time.monotonic() - started, 1e-6)
    print(f"\r  {label:<10} [{bar:<30}] {done:>7,}/{total:,} ({rate:,.0f}/s)", end="", flush=True)
    if done == total:
        print()


def seed(total):
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone
    from taggit.models import Tag, TaggedItem

    from explainers.models import Article, Author, Byline, QuestionSection

    if Article.objects.count() >= total:
        print(f"Archive already seeded ({Article.objects.count():,} articles).")
        return
    print(f"Seeding {total:,} articles and {total * SECTIONS_PER_ARTICLE:,} sections…")
    Article.objects.all().delete()
    authors = Author.objects.bulk_create(
        [Author(name=f"Reporter {n}", slug=f"reporter-{n}") for n in range(50)],
        ignore_conflicts=True,
    )
    authors = list(Author.objects.filter(slug__startswith="reporter-"))
    tags = [Tag.objects.get_or_create(name=f"Topic {n}", slug=f"topic-{n}")[0] for n in range(50)]
    article_type = ContentType.objects.get_for_model(Article)
    now = timezone.now()
    started = time.monotonic()
    for start in range(0, total, BATCH):
        count = min(BATCH, total - start)
        with transaction.atomic():
            articles = Article.objects.bulk_create(
                [
                    Article(
                        headline=f"Explainer number {n}: what it means for the region",
                        slug=f"explainer-{n}",
                        dek=f"Everything readers asked about story {n}, answered.",
                        lead=f"<p>The lead of explainer {n}, setting out the news.</p>",
                        status=Article.Status.PUBLISHED,
                        published_at=now - timezone.timedelta(hours=n),
                    )
                    for n in range(start, start + count)
                ]
            )
            QuestionSection.objects.bulk_create(
                [
                    QuestionSection(
                        article=article,
                        position=p,
                        question=f"Question {p} about explainer {article.slug}?",
                        anchor=f"question-{p}",
                        answer=f"<p>The answer to question {p}, with its sources.</p>",
                    )
                    for article in articles
                    for p in range(1, SECTIONS_PER_ARTICLE + 1)
                ]
            )
            Byline.objects.bulk_create(
                [Byline(article=a, author=authors[a.pk % len(authors)]) for a in articles]
            )
            TaggedItem.objects.bulk_create(
                [
                    TaggedItem(
                        content_type=article_type, object_id=a.pk, tag=tags[(a.pk * k) % len(tags)]
                    )
                    for a in articles
                    for k in (1, 7)
                ],
                ignore_conflicts=True,
            )
        progress("articles", start + count, total, started)
    # What autovacuum would do on a live site within minutes: planner statistics, and the
    # visibility map that lets counts use index-only scans.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  seeded in {time.monotonic() - started:.0f} s")


def measure(requests):
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from taggit.models import Tag

    from explainers.models import Article

    client = Client(HTTP_HOST="127.0.0.1")
    staff = Client(HTTP_HOST="127.0.0.1")
    user, _ = get_user_model().objects.get_or_create(
        username="scale-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    staff.force_login(user)
    tag = Tag.objects.get(slug="topic-1")
    tagged = Article.objects.published().filter(tags=tag).count()
    # Deep in the archive, but a page that exists: one past the last is a 404.
    last_page = math.ceil(Article.objects.published().count() / settings.NEWSROOM_ARTICLES_PER_PAGE)
    deep = min(500, last_page)
    pages = {
        "home": (client, "/"),
        f"tag archive ({tagged:,} articles)": (client, f"/tags/{tag.slug}/"),
        f"home, page {deep}": (client, f"/?page={deep}"),
        "sitemap index": (client, "/sitemap.xml"),
        "sitemap page": (client, "/sitemap-articles.xml"),
        "search": (client, "/search/?q=region+answered"),
        "admin change list": (staff, "/admin/explainers/article/"),
    }
    print()
    print(f"{'page (uncached)':<32}{'p50 ms':>10}{'p99 ms':>10}{'status':>8}")
    results = {}
    for label, (who, url) in pages.items():
        timings, status = [], None
        for n in range(requests + 2):
            started = time.perf_counter()
            response = who.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            status = response.status_code
            if n >= 2:  # the first two warm up caches of the database and Python
                timings.append(elapsed)
        timings.sort()
        p50 = statistics.median(timings)
        p99 = timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))]
        results[label] = p50
        print(f"{label:<32}{p50:>10.1f}{p99:>10.1f}{status:>8}")
    slow = [label for label, p50 in results.items() if p50 > TARGET_MS]
    print()
    print(
        f"Target p50 < {TARGET_MS} ms: "
        + ("all met" if not slow else "missed by " + ", ".join(slow))
    )
    return slow


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/newsroom_scale"
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="1,000 articles, 3 requests a page")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.requests = 1000, 3
        if args.database_url.endswith("/newsroom_scale"):
            args.database_url += "_quick"
    ensure_database(args.database_url)
    prepare_environment(args.database_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    seed(args.articles)
    measure(args.requests)


if __name__ == "__main__":
    main()

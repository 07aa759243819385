"""
Export and import of a whole site (issue 17, first part): `manage.py export_site` and
`import_site`. A site exported and imported into an empty database shows every reader page as
the original did; an archive merged into a populated site updates by UUID and duplicates
nothing; a damaged archive is refused naming the problem, and nothing is written.
"""

import datetime
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
import reversion
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from reversion.models import Version
from taggit.models import Tag

from explainers.models import (
    Article,
    Author,
    LocalName,
    QuestionSection,
    Quote,
    Redirect,
    Source,
    Speaker,
    UpdateNote,
)
from explainers.portability import ArchiveProblem, import_site
from photos.models import Photo

from .conftest import make_article, make_photo

LINK = re.compile(r'(?:href|src)="(/[^"#]*)')
NOT_READER = ("/admin/", "/static/", "/media/", "/preview/", "/shared/", "/api/v1/schema")


STARTS = [
    "/",
    "/ru/",
    "/sitemap.xml",
    "/robots.txt",
    "/search/?q=Belarus",
    "/ru/search/?q=Беларусь",
    "/2026/01/01/no-such-story/",
    *(f"/api/v1/{kind}/" for kind in ("articles", "speakers", "sources", "authors", "tags")),
]


def crawl(client, starts=()):
    """Every reader page reachable from the home page, the sitemaps, the feeds, the search and
    the content API, and `starts` (an old address, a story taken down): {address: (status,
    body)}."""
    seen, queue = {}, [*STARTS, *starts]
    while queue and len(seen) < 600:
        url = queue.pop(0)
        if url in seen or url.startswith(NOT_READER):
            continue
        response = client.get(url)
        body = response.content.decode() if response.status_code != 301 else response["Location"]
        if "<item>" not in body and "<entry>" not in body:
            # A feed with no entries says it was built now, whenever it is read.
            body = re.sub(r"<(lastBuildDate|updated)>[^<]*</\1>", "", body)
        seen[url] = (response.status_code, body)
        for link in LINK.findall(body) + re.findall(r"<loc>https?://[^/]+(/[^<]*)</loc>", body):
            queue.append(link.replace("&amp;", "&"))
        queue.extend(re.findall(r'"https?://testserver(/[^"]*)"', body))
    return seen


def generated_site():
    """The demo (in English and Russian) and a few generated explainers: every kind of record
    an export holds — photos with renditions, tags, names in Russian, citations, corrections,
    a translation, a redirect, an expired story and a draft — and revisions."""
    call_command("load_demo", verbosity=0)
    photo = make_photo(title="Generated", credit="Newsroom")
    photo.tags.add("Library")
    agency = Source.objects.create(name="BelTA", kind="agency", url="https://eng.belta.by/")
    LocalName.objects.create(record=agency, language="ru", name="БелТА")
    now = timezone.now()
    for n in range(1, 5):
        article = make_article(
            sections=3,
            headline=f"Generated explainer {n}",
            slug=f"generated-{n}",
            published_at=now - datetime.timedelta(days=n, hours=n),
            hero_photo=photo if n % 2 else None,
        )
        article.tags.add(f"Topic {n % 2}", "Belarus")
        article.lead_sources.add(agency)
        section = article.sections.first()
        section.sources.add(agency)
        Quote.objects.filter(article=article).update(source=agency)
        UpdateNote.objects.create(article=article, section=section, text=f"Corrected {n}.")
    moved = Article.objects.get(slug="generated-1")
    moved.slug = "generated-1-moved"
    moved.save()  # records a redirect from its old address
    Article.objects.filter(slug="generated-4").update(expires_at=now - datetime.timedelta(hours=1))
    make_article(slug="generated-draft", headline="A draft", status="draft", published_at=None)
    with reversion.create_revision():
        moved.headline = "Generated explainer 1, revised"
        moved.save()
        reversion.set_comment("Headline revised.")


def archive_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Article, QuestionSection, Quote, UpdateNote, Speaker, Source, Author)
    } | {"Tag": Tag.objects.count(), "Photo": Photo.objects.count()}


@pytest.mark.django_db(transaction=True)
def test_every_reader_page_is_identical_after_export_and_import_into_an_empty_site(
    tmp_path, settings
):
    generated_site()
    cache.clear()
    moved = Redirect.objects.get().old_path
    gone = Article.objects.get(slug="generated-4").get_absolute_url()
    before = crawl(Client(), [moved, gone])
    statuses = [status for status, _ in before.values()]
    assert len(before) > 80 and statuses.count(200) > 80

    assert before[moved][0] == 301 and before[gone][0] == 410
    counts = archive_counts()
    versions = Version.objects.count()
    archive = tmp_path / "site.tar.gz"
    call_command("export_site", str(archive), "--with-revisions", verbosity=0)

    call_command("flush", interactive=False, verbosity=0)  # an empty database
    settings.MEDIA_ROOT = tmp_path / "new-media"  # and no uploaded files
    cache.clear()
    assert Article.objects.count() == 0

    out = io.StringIO()
    call_command("import_site", str(archive), stdout=out)
    assert "Imported into an empty site (every id kept)" in out.getvalue()
    cache.clear()
    after = crawl(Client(), [moved, gone])

    assert sorted(after) == sorted(before)
    for url in before:
        assert after[url] == before[url], url
    assert archive_counts() == counts
    assert Version.objects.count() == versions
    assert (Path(settings.MEDIA_ROOT) / Photo.objects.first().image.name).is_file()

    # The history came with it: the revised headline's revision restores the headline it saved.
    article = Article.objects.get(slug="generated-1-moved")
    revision = Version.objects.get_for_object(article).first()
    assert revision.revision.comment == "Headline revised."
    Article.objects.filter(pk=article.pk).update(headline="Changed since")
    revision.revision.revert()
    article.refresh_from_db()
    assert article.headline == "Generated explainer 1, revised"
    assert article.tags.count() == 2

    # Ids were kept: new records take the next ones, on every database.
    fresh = make_article(slug="after-the-import", headline="After the import")
    assert fresh.pk > max(record["id"] for record in site_document(archive)["articles"])


def site_document(archive):
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile("site.json"))


@pytest.fixture
def exported(db, tmp_path):
    """A small site, exported: (archive path, the article)."""
    article = make_article(slug="merged", headline="Merged story")
    article.tags.add("Belarus")
    Speaker.objects.filter(slug="victor-khrenin").update(usual_role="Defense Minister")
    archive = tmp_path / "site.tar.gz"
    call_command("export_site", str(archive), verbosity=0)
    return archive, article


def test_merging_updates_by_uuid_and_duplicates_nothing(exported):
    archive, article = exported
    counts = archive_counts()
    first, second = article.sections.order_by("position")
    # Since the export: the headline changed, a question was deleted and the other reworded,
    # the speaker renamed, and a new story written.
    Article.objects.filter(pk=article.pk).update(headline="Changed here")
    first.delete()
    second.question = "Reworded here?"
    second.save()
    speaker = Speaker.objects.get(slug="victor-khrenin")
    speaker.name = "Viktor Khrenin"
    speaker.save()
    make_article(slug="written-since", headline="Written since")

    report = import_site(archive)

    assert not report.empty_site
    assert report.created.get("articles", 0) == 0 and report.updated["articles"] == 1
    article.refresh_from_db()
    assert article.headline == "Merged story"
    sections = list(article.sections.order_by("position"))
    assert [s.question for s in sections] == ["Question number 1?", "Question number 2?"]
    assert sections[1].pk == second.pk  # updated in place, by its UUID
    assert str(sections[0].uuid) == str(first.uuid)  # the deleted one is back, by its UUID
    assert Speaker.objects.get(slug="victor-khrenin").name == "Victor Khrenin"
    assert Article.objects.filter(slug="written-since").exists()  # what the archive lacks stays
    since = {"Article": 1, "QuestionSection": 2, "Quote": 2}  # the story written since
    assert archive_counts() == {k: n + since.get(k, 0) for k, n in counts.items()}
    assert Quote.objects.filter(article=article).count() == 2
    assert list(article.tags.names()) == ["Belarus"]

    # Merged again: the same, not twice as much.
    import_site(archive)
    assert archive_counts() == {k: n + since.get(k, 0) for k, n in counts.items()}


def test_a_shared_record_with_another_uuid_but_the_same_slug_is_the_same_record(exported):
    archive, article = exported
    Article.objects.all().delete()
    speaker = Speaker.objects.get(slug="victor-khrenin")
    Speaker.objects.filter(pk=speaker.pk).update(uuid="00000000-0000-4000-8000-000000000001")
    import_site(archive)
    assert Speaker.objects.filter(slug="victor-khrenin").count() == 1
    assert Quote.objects.filter(speaker=speaker).count() == 2


def test_an_article_whose_address_another_article_has_is_refused(exported):
    archive, article = exported
    Article.objects.filter(pk=article.pk).update(uuid="00000000-0000-4000-8000-000000000002")
    with pytest.raises(ArchiveProblem, match="has the address .slug. “merged” of another"):
        import_site(archive)


def test_dry_run_writes_nothing(exported, tmp_path, settings):
    archive, _ = exported
    Article.objects.all().delete()
    out = io.StringIO()
    call_command("import_site", str(archive), "--dry-run", stdout=out)
    assert "Would import" in out.getvalue() and "articles: 1 new" in out.getvalue()
    assert Article.objects.count() == 0


# Damaged archives: each kind is refused with a message naming the problem, and nothing is
# written — no row, no file.


def rewrite(archive, target, *, manifest=None, members=None, drop=(), recompute=True):
    """A copy of `archive` with some members replaced (bytes) or dropped; the manifest's
    checksums recomputed for the replaced members unless `recompute` is false."""
    with tarfile.open(archive) as tar:
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    old_manifest = json.loads(contents.pop("manifest.json"))
    contents.update(members or {})
    if recompute:
        for name in members or {}:
            old_manifest["files"][name] = hashlib.sha256(contents[name]).hexdigest()
    old_manifest.update(manifest or {})
    for name in drop:
        contents.pop(name)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in {"manifest.json": json.dumps(old_manifest).encode(), **contents}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def damaged(kind, archive, target):
    document = site_document(archive)
    site = json.dumps(document).encode()
    if kind == "checksum":
        return rewrite(archive, target, members={"site.json": site + b" "}, recompute=False)
    if kind == "version":
        return rewrite(archive, target, manifest={"version": 2})
    if kind == "document version":
        document["version"] = 7
        return rewrite(archive, target, members={"site.json": json.dumps(document).encode()})
    if kind == "missing file":
        photo = next(name for name in site_document_names(archive) if name.startswith("media/"))
        return rewrite(archive, target, drop=[photo])
    if kind == "unlisted file":
        document["photos"][0]["image"] = "photos/elsewhere.jpg"
        return rewrite(archive, target, members={"site.json": json.dumps(document).encode()})
    if kind == "truncated json":
        return rewrite(archive, target, members={"site.json": site[: len(site) // 2]})
    if kind == "invalid record":
        del document["articles"][0]["headline"]
        return rewrite(archive, target, members={"site.json": json.dumps(document).encode()})
    if kind == "unknown reference":
        document["articles"][0]["quotes"][0]["speaker"] = "00000000-0000-4000-8000-00000000000f"
        return rewrite(archive, target, members={"site.json": json.dumps(document).encode()})
    if kind == "duplicate uuid":
        quotes = document["articles"][0]["quotes"]
        quotes[1]["uuid"] = quotes[0]["uuid"]
        return rewrite(archive, target, members={"site.json": json.dumps(document).encode()})
    if kind == "impossible date":
        document["articles"][0]["published_at"] = "2022-02-30T10:00:00+00:00"
        return rewrite(archive, target, members={"site.json": json.dumps(document).encode()})
    if kind == "huge number":
        document["articles"][0]["authors"][0]["position"] = 10**30
        return rewrite(archive, target, members={"site.json": json.dumps(document).encode()})
    if kind == "not an image":
        name = "media/" + document["photos"][0]["image"]
        return rewrite(archive, target, members={name: b"<html><script>alert(1)</script>"})
    if kind == "page among the media":
        document["authors"][0]["photo"] = "authors/index.html"
        members = {
            "site.json": json.dumps(document).encode(),
            "media/authors/index.html": b"<html><script>alert(1)</script></html>",
        }
        return rewrite(archive, target, members=members)
    if kind == "deeply nested":
        return rewrite(archive, target, members={"site.json": b"[" * 100_000})
    if kind == "truncated archive":
        data = Path(archive).read_bytes()
        target.write_bytes(data[: len(data) // 2])
        return target
    raise AssertionError(kind)


def site_document_names(archive):
    with tarfile.open(archive) as tar:
        return [m.name for m in tar.getmembers()]


DAMAGE = {
    "checksum": "site.json does not match its checksum: the archive is damaged",
    "version": "the archive is a version 2 site export; this Newsroom reads version 1",
    "document version": "site.json is in version 7 of the format; this Newsroom reads version 1",
    "missing file": "the archive is missing media/",
    "unlisted file": "site.json names the file photos/elsewhere.jpg, which the archive lacks",
    "truncated json": "site.json is not valid JSON at line 1, column",
    "invalid record": "site.json.articles[0]: 'headline' is a required property",
    "unknown reference": "names the speaker 00000000-0000-4000-8000-00000000000f, which the "
    "archive lacks",
    "truncated archive": "is not a readable site export archive",
    "duplicate uuid": "site.json has two quotes with the uuid",
    "impossible date": "“2022-02-30T10:00:00+00:00” is not a date and time (day is out of range",
    "huge number": "is greater than the maximum of 32767",
    "not an image": "is not an image",
    "page among the media": "the author photo authors/index.html is not an image",
    "deeply nested": "site.json is nested too deeply to be a site export",
}


@pytest.fixture
def site_with_photo(db, tmp_path):
    photo = make_photo()
    make_article(slug="with-photo", hero_photo=photo)
    archive = tmp_path / "site.tar.gz"
    call_command("export_site", str(archive), verbosity=0)
    Article.objects.all().delete()
    Photo.objects.all().delete()
    return archive


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_archive_is_refused_naming_the_problem_and_nothing_is_written(
    kind, site_with_photo, tmp_path, media_root
):
    archive = damaged(kind, site_with_photo, tmp_path / f"{kind}.tar.gz")
    files = {p for p in Path(media_root).rglob("*") if p.is_file()}
    with pytest.raises(CommandError) as refused:
        call_command("import_site", str(archive), verbosity=0)
    assert DAMAGE[kind] in str(refused.value)
    assert "Nothing was written" in str(refused.value)
    assert Article.objects.count() == 0 and Photo.objects.count() == 0
    assert {p for p in Path(media_root).rglob("*") if p.is_file()} == files


def test_a_failure_half_way_leaves_no_row_and_no_file(site_with_photo, media_root):
    """The photo and its files are written before the article fails: all of it goes."""
    make_article(slug="with-photo", headline="Already here")  # another story at that address
    files = {p for p in Path(media_root).rglob("*") if p.is_file()}
    with pytest.raises(ArchiveProblem, match="another article here"):
        import_site(site_with_photo)
    assert Photo.objects.count() == 0
    assert {p for p in Path(media_root).rglob("*") if p.is_file()} == files


def test_the_archive_documents_itself_with_a_schema_and_stable_uuids(exported, tmp_path):
    archive, article = exported
    document = site_document(archive)
    assert document["format"] == "newsroom-site" and document["version"] == 1
    (record,) = document["articles"]
    assert record["uuid"] == str(article.uuid)
    assert [s["uuid"] for s in record["sections"]] == [
        str(u) for u in article.sections.values_list("uuid", flat=True)
    ]
    # Exported again, the same UUIDs.
    call_command("export_site", str(tmp_path / "again.tar.gz"), verbosity=0)
    again = site_document(tmp_path / "again.tar.gz")
    assert again["speakers"] == document["speakers"] and again["tags"] == document["tags"]
    assert again["articles"][0]["quotes"] == record["quotes"]
    tag = Tag.objects.get(name="Belarus")
    assert record["tags"][0]["tag"] == document["tags"][0]["uuid"]
    assert document["tags"][0]["slug"] == tag.slug
    assert "content_types" not in document and "revisions" not in document


def test_a_reverted_revision_made_before_uuids_keeps_the_records_uuid(db):
    """A revision saved before the uuid column existed restores the article without one: the
    article keeps its own."""
    with reversion.create_revision():
        article = make_article(slug="old-revision")
    version = Version.objects.get_for_object(article).first()
    data = json.loads(version.serialized_data)
    del data[0]["fields"]["uuid"]
    Version.objects.filter(pk=version.pk).update(serialized_data=json.dumps(data))
    own = article.uuid
    Version.objects.get(pk=version.pk).revert()
    article.refresh_from_db()
    assert article.uuid == own

"""
The whole site as one portable archive: `manage.py export_site` writes it, `import_site` reads it
back into an empty site or merges it into a populated one.

The archive is a .tar.gz (explainers.backups.pack) of

- `site.json`, one JSON document: the tags, authors, speakers, sources, photos and articles (with
  their questions, quotes, corrections, bylines, tags, citations and old addresses), and with
  `--with-revisions` every revision of them. Its format is `explainers/schemas/site-1.json`, a
  JSON Schema that documents each member and that every import checks first;
- `media/…`, the files the document names: photo originals, their renditions, author photos;
- `manifest.json`: the format, its version and the SHA-256 of every other member.

Records are named by UUID, the same on every site a record moves to: articles, questions,
quotes, speakers, sources, authors and photos keep theirs in a `uuid` column; a tag is named
by its slug (taggit's tags are unique by slug and by name), so its UUID is derived from the slug.
Each record also carries the id it had on the exporting site.

Importing:

- **into an empty site** (no articles, photos, speakers, sources, authors or tags yet) every
  record keeps its id, so every page — a source's page is `/sources/<id>/` — and every stored
  revision is as it was;
- **into a populated site** each record is matched by UUID and updated (a speaker, source,
  author or tag with another UUID but the same slug — or name and address, for a source — is
  the same one, and is updated too); anything else is added with an id of this site. An
  article's questions, quotes, corrections, bylines and tags become the archive's. Revisions are
  restored only into an empty site: in a populated one their ids would name other records.

Everything is written in one transaction, through the model layer, so the change pipeline
refreshes every page the import touches. A damaged archive — a checksum that does not match,
an unknown format version, a missing file, truncated or invalid JSON, a reference to a record
the archive does not hold — is refused with a message naming the problem, before or instead of
any write; files written before a failure are removed again. `dry_run` does it all, reports, and
rolls back.
"""

import datetime
import hashlib
import json
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import reversion
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from PIL import Image
from taggit.models import Tag, TaggedItem

from photos.models import Photo, Rendition

from .backups import pack, sha256, unpack
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

FORMAT = "newsroom-site"
VERSION = 1
DOCUMENT = "site.json"
SCHEMA = Path(__file__).resolve().parent / "schemas" / f"site-{VERSION}.json"

# A tag's UUID: derived from its slug in this namespace (see the module's docstring).
TAG_NAMESPACE = uuid.UUID("6f1d3c1e-9a0b-4d5e-8f7a-2b3c4d5e6f70")

# The records whose ids an import into an empty site keeps (and whose sequences it then moves on).
KEPT_IDS = (
    Tag,
    Author,
    Speaker,
    Source,
    Photo,
    Rendition,
    Article,
    QuestionSection,
    Quote,
    UpdateNote,
    Byline,
    TaggedItem,
)


class ArchiveProblem(Exception):
    pass


def tag_uuid(tag):
    return str(uuid.uuid5(TAG_NAMESPACE, tag.slug))


def stamp(value):
    return value.isoformat() if value else None


def username(user_id, users):
    return users.get(user_id) if user_id else None


# --- Export ---------------------------------------------------------------------------------


def export_site(path, with_revisions=False, progress=None):
    """Write the whole site to an archive at `path`; the archive's counts."""
    path = Path(path)
    users = dict(get_user_model().objects.values_list("pk", get_user_model().USERNAME_FIELD))
    names = local_names()
    files = set()
    tags = list(Tag.objects.order_by("pk"))
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "site_language": settings.NEWSROOM_LANGUAGE,
        "tags": [
            {
                "uuid": tag_uuid(tag),
                "id": tag.pk,
                "name": tag.name,
                "slug": tag.slug,
                "names": names.get((Tag, tag.pk), {}),
            }
            for tag in tags
        ],
        "authors": [],
        "speakers": [
            {
                "uuid": str(speaker.uuid),
                "id": speaker.pk,
                "name": speaker.name,
                "slug": speaker.slug,
                "usual_role": speaker.usual_role,
                "names": names.get((Speaker, speaker.pk), {}),
            }
            for speaker in Speaker.objects.order_by("pk")
        ],
        "sources": [
            {
                "uuid": str(source.uuid),
                "id": source.pk,
                "name": source.name,
                "kind": source.kind,
                "url": source.url,
                "publisher": source.publisher,
                "names": names.get((Source, source.pk), {}),
            }
            for source in Source.objects.order_by("pk")
        ],
        "photos": [],
        "articles": [],
    }
    tag_uuids = {tag.pk: tag_uuid(tag) for tag in tags}
    for author in Author.objects.order_by("pk"):
        if author.photo:
            files.add(author.photo.name)
        document["authors"].append(
            {
                "uuid": str(author.uuid),
                "id": author.pk,
                "name": author.name,
                "slug": author.slug,
                "bio": author.bio,
                "photo": author.photo.name or None,
                "user": username(author.user_id, users),
            }
        )
    photo_tags = taggings(Photo)
    for photo in Photo.objects.order_by("pk").prefetch_related("renditions"):
        files.add(photo.image.name)
        renditions = sorted(photo.renditions.all(), key=lambda r: r.pk)
        files.update(r.file.name for r in renditions)
        document["photos"].append(
            {
                "uuid": str(photo.uuid),
                "id": photo.pk,
                "image": photo.image.name,
                "title": photo.title,
                "alt_text": photo.alt_text,
                "caption": photo.caption,
                "credit": photo.credit,
                "source_agency": photo.source_agency,
                "taken_on": stamp(photo.taken_on),
                "focal_x": photo.focal_x,
                "focal_y": photo.focal_y,
                "width": photo.width,
                "height": photo.height,
                "uploaded_by": username(photo.uploaded_by_id, users),
                "created_at": stamp(photo.created_at),
                "tags": [
                    {"id": pk, "tag": tag_uuids[tag_id]} for pk, tag_id in photo_tags[photo.pk]
                ],
                "renditions": [rendition_record(r) for r in renditions],
            }
        )
    articles = Article.objects.order_by("pk")
    total = articles.count()
    photo_uuids = dict(Photo.objects.values_list("pk", "uuid"))
    article_uuids = dict(Article.objects.values_list("pk", "uuid"))
    article_tags = taggings(Article)
    for done, article in enumerate(
        articles.prefetch_related(
            "sections__sources",
            "quotes__speaker",
            "quotes__source",
            "quotes__section",
            "notes__section",
            "bylines__author",
            "lead_sources",
            "redirects",
        ).iterator(chunk_size=200),
        start=1,
    ):
        document["articles"].append(
            article_record(article, users, article_tags, tag_uuids, photo_uuids)
        )
        if article.translated_from_id:
            document["articles"][-1]["translated_from"] = str(
                article_uuids[article.translated_from_id]
            )
        if progress:
            progress(done, total)
    if with_revisions:
        document.update(revisions(users))
    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / DOCUMENT
        site.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        members = [(DOCUMENT, site)]
        media = Path(settings.MEDIA_ROOT)
        for name in sorted(files):
            if not (media / name).is_file():
                raise ArchiveProblem(f"the media file {name} is missing from {media}")
            members.append((f"media/{name}", media / name))
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": document["exported_at"],
            "counts": counts(document),
            "files": {name: sha256(member) for name, member in members},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        pack(path, manifest, members)
    return manifest["counts"]


def rendition_record(rendition):
    return {
        "id": rendition.pk,
        "spec": rendition.spec,
        "file": rendition.file.name,
        "width": rendition.width,
        "height": rendition.height,
        "size": rendition.size,
    }


def counts(document):
    return {
        kind: len(document.get(kind, []))
        for kind in ("tags", "authors", "speakers", "sources", "photos", "articles", "revisions")
    }


def local_names():
    """{(model, pk): {language: name}} for every record with a name in another language."""
    names = {}
    models = {ContentType.objects.get_for_model(m).pk: m for m in (Tag, Speaker, Source)}
    rows = LocalName.objects.filter(content_type__in=models).order_by("pk")
    for content_type_id, object_id, language, name in rows.values_list(
        "content_type_id", "object_id", "language", "name"
    ):
        names.setdefault((models[content_type_id], object_id), {})[language] = name
    return names


def taggings(model):
    """{object pk: [(tagging pk, tag pk), …]} in the order the tags were given."""
    found = {}
    rows = TaggedItem.objects.filter(content_type=ContentType.objects.get_for_model(model))
    for pk, object_id, tag_id in rows.order_by("pk").values_list("pk", "object_id", "tag_id"):
        found.setdefault(object_id, []).append((pk, tag_id))
    return {**{pk: [] for pk in model.objects.values_list("pk", flat=True)}, **found}


def article_record(article, users, article_tags, tag_uuids, photo_uuids):
    def sources(manager):
        return [str(s.uuid) for s in sorted(manager.all(), key=lambda s: s.pk)]

    def section_uuid(section):
        return str(section.uuid) if section else None

    return {
        "uuid": str(article.uuid),
        "id": article.pk,
        "language": article.language,
        "translation_key": str(article.translation_key),
        "translated_from": None,
        "kicker": article.kicker,
        "headline": article.headline,
        "slug": article.slug,
        "dek": article.dek,
        "lead": article.lead,
        "status": article.status,
        "published_at": stamp(article.published_at),
        "expires_at": stamp(article.expires_at),
        "created_at": stamp(article.created_at),
        "updated_at": stamp(article.updated_at),
        "created_by": username(article.created_by_id, users),
        "hero_photo": str(photo_uuids[article.hero_photo_id]) if article.hero_photo_id else None,
        "hero_caption": article.hero_caption,
        "hero_credit": article.hero_credit,
        "contributed_by": article.contributed_by,
        "original_url": article.original_url,
        "lead_sources": sources(article.lead_sources),
        "authors": [
            {"id": b.pk, "author": str(b.author.uuid), "position": b.position}
            for b in article.bylines.all()
        ],
        "tags": [{"id": pk, "tag": tag_uuids[tag_id]} for pk, tag_id in article_tags[article.pk]],
        "sections": [
            {
                "uuid": str(s.uuid),
                "id": s.pk,
                "position": s.position,
                "question": s.question,
                "anchor": s.anchor,
                "answer": s.answer,
                "revised_at": stamp(s.revised_at),
                "sources": sources(s.sources),
            }
            for s in article.sections.all()
        ],
        "quotes": [
            {
                "uuid": str(q.uuid),
                "id": q.pk,
                "section": section_uuid(q.section),
                "position": q.position,
                "after_paragraph": q.after_paragraph,
                "text": q.text,
                "speaker": str(q.speaker.uuid) if q.speaker else None,
                "speaker_role": q.speaker_role,
                "source": str(q.source.uuid) if q.source else None,
                "said_on": stamp(q.said_on),
                "context": q.context,
            }
            for q in article.quotes.all()
        ],
        "notes": [
            {
                "id": n.pk,
                "section": section_uuid(n.section),
                "kind": n.kind,
                "text": n.text,
                "noted_at": stamp(n.noted_at),
            }
            for n in article.notes.all()
        ],
        "redirects": [
            {"old_path": r.old_path, "created_at": stamp(r.created_at)}
            for r in sorted(article.redirects.all(), key=lambda r: r.pk)
        ],
    }


def revisions(users):
    """The revisions of the site's articles, as django-reversion stores them, and what an import
    needs to read them on another site: the content types and users their versions name."""
    from reversion.models import Revision, Version

    article_type = ContentType.objects.get_for_model(Article)
    found = Revision.objects.filter(version__content_type=article_type).distinct().order_by("pk")
    versions = {}
    for version in Version.objects.filter(revision__in=found).order_by("pk"):
        versions.setdefault(version.revision_id, []).append(version)
    types = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    return {
        "content_types": {str(pk): label for pk, label in types.items()},
        "users": {str(pk): name for pk, name in users.items()},
        "revisions": [
            {
                "id": revision.pk,
                "date_created": stamp(revision.date_created),
                "user": username(revision.user_id, users),
                "comment": revision.comment,
                "versions": [
                    {
                        "model": types[v.content_type_id],
                        "object_id": v.object_id,
                        "format": v.format,
                        "data": json.loads(v.serialized_data),
                        "object_repr": v.object_repr,
                    }
                    for v in versions.get(revision.pk, [])
                ],
            }
            for revision in found
        ],
    }


# --- Import ---------------------------------------------------------------------------------


@dataclass
class Report:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    empty_site: bool = False

    def count(self, kind, created):
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1

    def summary(self):
        kinds = sorted(set(self.created) | set(self.updated))
        return ", ".join(
            f"{kind}: {self.created.get(kind, 0)} new, {self.updated.get(kind, 0)} updated"
            for kind in kinds
        )


class DryRun(Exception):
    pass


def read_site(path, work):
    """Unpack and check an archive: (manifest, document), or ArchiveProblem naming what is
    wrong with it."""
    manifest = unpack(path, work, FORMAT, VERSION, "site export", ArchiveProblem)
    if DOCUMENT not in manifest["files"]:
        raise ArchiveProblem(f"the archive is missing {DOCUMENT}")
    text = (Path(work) / DOCUMENT).read_bytes()
    try:
        document = json.loads(text)
    except UnicodeDecodeError:
        raise ArchiveProblem(f"{DOCUMENT} is not UTF-8 text") from None
    except RecursionError:
        raise ArchiveProblem(f"{DOCUMENT} is nested too deeply to be a site export") from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        ending = " (it ends too soon: truncated)" if error.pos >= len(text.rstrip()) else ""
        raise ArchiveProblem(
            f"{DOCUMENT} is not valid JSON at {where}: {error.msg}{ending}"
        ) from None
    check_schema(document)
    check_unique(document)
    for name in referenced_files(document):
        if f"media/{name}" not in manifest["files"]:
            raise ArchiveProblem(f"{DOCUMENT} names the file {name}, which the archive lacks")
    return manifest, document


def check_schema(document):
    import jsonschema

    if isinstance(document, dict) and document.get("version") != VERSION:
        raise ArchiveProblem(
            f"{DOCUMENT} is in version {document.get('version')!r} of the format; "
            f"this Newsroom reads version {VERSION}"
        )
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise ArchiveProblem(f"{DOCUMENT}{where or ''}: {error.message}")


def check_unique(document):
    """No two records of a kind with one UUID or one id (each would overwrite the other)."""
    kinds = {kind: document[kind] for kind in ("tags", "authors", "speakers", "sources", "photos")}
    kinds["articles"] = document["articles"]
    kinds["questions"] = [s for a in document["articles"] for s in a["sections"]]
    kinds["quotes"] = [q for a in document["articles"] for q in a["quotes"]]
    kinds["corrections"] = [n for a in document["articles"] for n in a["notes"]]
    kinds["bylines"] = [b for a in document["articles"] for b in a["authors"]]
    kinds["renditions"] = [r for p in document["photos"] for r in p["renditions"]]
    kinds["taggings"] = [t for r in document["articles"] + document["photos"] for t in r["tags"]]
    kinds["redirects"] = [r for a in document["articles"] for r in a["redirects"]]
    for kind, records in kinds.items():
        for key in ("uuid", "id", "slug", "old_path"):
            seen = set()
            for record in records:
                if key in record:
                    if record[key] in seen:
                        raise ArchiveProblem(
                            f"{DOCUMENT} has two {kind} with the {key} {record[key]}"
                        )
                    seen.add(record[key])


# Where each kind of file lives in storage, and the image formats it may be (by its content,
# whatever its name says): an archive cannot place a page or a script among the media.
FILE_KINDS = {
    "photo": ("photos/", {"JPEG", "PNG", "WEBP", "GIF"}),
    "rendition": ("renditions/", {"JPEG", "WEBP"}),
    "author photo": ("authors/", {"JPEG", "PNG", "WEBP", "GIF"}),
}
EXTENSIONS = {"JPEG": {"jpg", "jpeg"}, "PNG": {"png"}, "WEBP": {"webp"}, "GIF": {"gif"}}


def check_image(path, name, kind):
    folder, formats = FILE_KINDS[kind]
    if not name.startswith(folder):
        raise ArchiveProblem(f"the {kind} {name} is not under {folder}")
    try:
        with Image.open(path) as image:
            found = image.format
            image.verify()
    except Exception:
        raise ArchiveProblem(f"the {kind} {name} is not an image") from None
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if found not in formats or extension not in EXTENSIONS[found]:
        raise ArchiveProblem(f"the {kind} {name} is a {found} image, which it may not be")


def referenced_files(document):
    for author in document["authors"]:
        if author["photo"]:
            yield author["photo"]
    for photo in document["photos"]:
        yield photo["image"]
        yield from (r["file"] for r in photo["renditions"])


def site_is_empty():
    """Nothing an archive holds is here yet — its history neither (old revisions name ids)."""
    from reversion.models import Revision

    return not any(
        model.objects.exists()
        for model in (Article, Photo, Speaker, Source, Author, Tag, Revision, Redirect)
    )


def import_site(path, dry_run=False, progress=None):
    """Import an archive made by export_site(); a Report. ArchiveProblem when the archive is
    damaged or does not fit this site, and then nothing is written."""
    with tempfile.TemporaryDirectory() as work:
        manifest, document = read_site(path, work)
        importer = Importer(document, Path(work) / "media", progress)
        try:
            with transaction.atomic():
                importer.run()
                if dry_run:
                    raise DryRun
        except DryRun:
            importer.remove_files()
        except ArchiveProblem:
            importer.remove_files()
            raise
        except (
            DatabaseError,
            ValidationError,
            SuspiciousFileOperation,
            ValueError,
            OverflowError,
        ) as error:
            # What the schema cannot say: a value the database refuses (too large, a duplicate,
            # a broken rule), or a date that does not exist.
            importer.remove_files()
            raise ArchiveProblem(f"{importer.where}: {error}") from None
        except BaseException:
            importer.remove_files()
            raise
    return importer.report


def parsed_time(value):
    return parsed(parse_datetime, value, "a date and time")


def parsed_day(value):
    return parsed(parse_date, value, "a date")


def parsed(parse, value, what):
    if not value:
        return None
    try:
        found = parse(value)
    except ValueError as error:  # well formed, but no such day: 2022-02-30
        raise ArchiveProblem(f"“{value}” is not {what} ({error})") from None
    if found is None:
        raise ArchiveProblem(f"“{value}” is not {what}")
    return found


NOT_ITS_OWN = "which is not one of its own questions"


class Importer:
    def __init__(self, document, media, progress=None):
        self.document = document
        self.media = media
        self.progress = progress
        self.report = Report()
        self.written = []  # storage names of the files this import wrote
        self.where = "the archive"
        self.users = {
            name: pk
            for pk, name in get_user_model().objects.values_list(
                "pk", get_user_model().USERNAME_FIELD
            )
        }
        # The archive's UUID → this site's record, per kind.
        self.tags, self.authors, self.speakers, self.sources, self.photos = {}, {}, {}, {}, {}
        self.articles = {}
        self.linked = set()  # usernames linked to this site's accounts

    def user(self, name):
        """The account of this username here, if any (users are not exported)."""
        found = self.users.get(name) if name else None
        if found:
            self.linked.add(name)
        return found

    def lookup(self, kind, found, key, lacking="which the archive lacks"):
        if key is None:
            return None
        try:
            return found[key]
        except KeyError:
            raise ArchiveProblem(f"{self.where} names {kind} {key}, {lacking}") from None

    def run(self):
        self.report.empty_site = self.keep_ids = site_is_empty()
        document = self.document
        for record in document["tags"]:
            self.import_tag(record)
        for record in document["authors"]:
            self.import_author(record)
        for record in document["speakers"]:
            self.import_speaker(record)
        for record in document["sources"]:
            self.import_source(record)
        for record in document["photos"]:
            self.import_photo(record)
        total = len(document["articles"])
        for done, record in enumerate(document["articles"], start=1):
            self.import_article(record)
            if self.progress:
                self.progress(done, total)
        for record in document["articles"]:
            self.where = f"article “{record['headline']}” ({record['uuid']})"
            translated_from = self.lookup("the article", self.articles, record["translated_from"])
            article = self.articles[record["uuid"]]
            Article.objects.filter(pk=article.pk).update(
                translated_from=translated_from,
                # Saves set these to now: the archive's times are the story's.
                created_at=parsed_time(record["created_at"]),
                updated_at=parsed_time(record["updated_at"]),
            )
        if "revisions" in document:
            if self.keep_ids:
                self.import_revisions()
            elif document["revisions"]:
                self.report.notes.append(
                    f"{len(document['revisions'])} revisions not imported: history is "
                    "restored only into an empty site, where every record keeps its id."
                )
        if self.keep_ids:
            self.move_sequences()
        if self.linked:
            self.report.notes.append(
                "Linked to this site's accounts of the same username: "
                + ", ".join(sorted(self.linked))
                + "."
            )

    # Shared records: by UUID, else by what makes them unique here.

    def found_or_new(self, model, record, values, natural=None):
        """(record, created): this site's record of the archive's — by UUID (a tag has none
        stored), else by `natural`, what makes it unique here — with `values` set; or a new one,
        with the archive's UUID and, into an empty site, its id."""
        existing = model.objects.filter(uuid=record["uuid"]).first() if model is not Tag else None
        if existing is None and natural is not None:
            existing = model.objects.filter(natural).first()
        if existing is None:
            existing = model(**values)
            if model is not Tag:
                existing.uuid = record["uuid"]
            if self.keep_ids:
                existing.pk = record["id"]
            return existing, True
        for name, value in values.items():
            setattr(existing, name, value)
        return existing, False

    def upsert(self, model, kind, record, values, natural):
        self.where = f"{kind} “{record.get('name', record.get('title', ''))}” ({record['uuid']})"
        existing, created = self.found_or_new(model, record, values, natural)
        existing.full_clean(exclude=["uuid", "photo", "image"], validate_unique=False)
        existing.save(force_insert=created)
        self.report.count(kind, created)
        return existing

    def import_tag(self, record):
        values = {"name": record["name"], "slug": record["slug"]}
        tag = self.upsert(
            Tag, "tags", record, values, Q(slug=record["slug"]) | Q(name=record["name"])
        )
        self.tags[record["uuid"]] = tag
        self.set_names(tag, record["names"])

    def import_author(self, record):
        values = {
            "name": record["name"],
            "slug": record["slug"],
            "bio": record["bio"],
            "user_id": self.user(record["user"]),
        }
        if (
            values["user_id"]
            and Author.objects.filter(user_id=values["user_id"])
            .exclude(uuid=record["uuid"])
            .exclude(slug=record["slug"])
            .exists()
        ):
            values["user_id"] = None  # that account is another author's here
        author = self.upsert(Author, "authors", record, values, Q(slug=record["slug"]))
        if (record["photo"] or "") != author.photo.name:
            photo = record["photo"]
            author.photo.name = self.put_file(photo, "author photo") if photo else ""
            author.save(update_fields=["photo"])
        self.authors[record["uuid"]] = author

    def import_speaker(self, record):
        values = {k: record[k] for k in ("name", "slug", "usual_role")}
        speaker = self.upsert(Speaker, "speakers", record, values, Q(slug=record["slug"]))
        self.speakers[record["uuid"]] = speaker
        self.set_names(speaker, record["names"])

    def import_source(self, record):
        values = {k: record[k] for k in ("name", "kind", "url", "publisher")}
        natural = Q(name=record["name"], url=record["url"])
        source = self.upsert(Source, "sources", record, values, natural)
        self.sources[record["uuid"]] = source
        self.set_names(source, record["names"])

    def set_names(self, record, names):
        content_type = ContentType.objects.get_for_model(record)
        kept = LocalName.objects.filter(content_type=content_type, object_id=record.pk)
        kept.exclude(language__in=names).delete()
        for language, name in names.items():
            if language not in dict(settings.LANGUAGES) or language == settings.NEWSROOM_LANGUAGE:
                raise ArchiveProblem(
                    f"{self.where} has a name in {language!r}, not a language here"
                )
            LocalName.objects.update_or_create(
                content_type=content_type,
                object_id=record.pk,
                language=language,
                defaults={"name": name},
            )

    # Files.

    def put_file(self, name, kind):
        """The archive's file `name` (a `kind` of FILE_KINDS) in this site's storage: where it
        already is when the same file is stored under that name, else saved (under a free name);
        its storage name."""
        source = self.media / name
        check_image(source, name, kind)
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as stored:
                if hashlib.file_digest(stored, "sha256").hexdigest() == sha256(source):
                    return name
        with open(source, "rb") as handle:
            saved = default_storage.save(name, File(handle))
        self.written.append(saved)
        return saved

    def remove_files(self):
        for name in self.written:
            default_storage.delete(name)
        self.written = []

    def import_photo(self, record):
        self.where = f"photo “{record['title']}” ({record['uuid']})"
        values = {
            key: record[key]
            for key in (
                "title",
                "alt_text",
                "caption",
                "credit",
                "source_agency",
                "focal_x",
                "focal_y",
                "width",
                "height",
            )
        }
        values["taken_on"] = parsed_day(record["taken_on"])
        values["uploaded_by_id"] = self.user(record["uploaded_by"])
        photo, created = self.found_or_new(Photo, record, values)
        photo.image.name = self.put_file(record["image"], "photo")
        photo.full_clean(exclude=["uuid", "image"], validate_unique=False)
        photo.save(force_insert=created)
        if record["renditions"] != self.stored_renditions(photo):
            photo.renditions.all().delete()
            for rendition in record["renditions"]:
                made = Rendition(
                    photo=photo,
                    spec=rendition["spec"],
                    width=rendition["width"],
                    height=rendition["height"],
                    size=rendition["size"],
                )
                if self.keep_ids:
                    made.pk = rendition["id"]
                made.file.name = self.put_file(rendition["file"], "rendition")
                made.save(force_insert=True)
            photo.index_renditions()
        Photo.objects.filter(pk=photo.pk).update(created_at=parsed_time(record["created_at"]))
        self.set_tags(photo, record["tags"])
        self.photos[record["uuid"]] = photo
        self.report.count("photos", created)

    def stored_renditions(self, photo):
        return [rendition_record(r) for r in photo.renditions.order_by("pk")]

    def set_tags(self, record, tags):
        """The record's taggings become the archive's, in its order (pages list tags so)."""
        content_type = ContentType.objects.get_for_model(record)
        TaggedItem.objects.filter(content_type=content_type, object_id=record.pk).delete()
        for tagging in tags:
            item = TaggedItem(
                content_type=content_type,
                object_id=record.pk,
                tag=self.lookup("the tag", self.tags, tagging["tag"]),
            )
            if self.keep_ids:
                item.pk = tagging["id"]
            item.save(force_insert=True)

    # Articles.

    def import_article(self, record):
        self.where = f"article “{record['headline']}” ({record['uuid']})"
        taken = Article.objects.filter(slug=record["slug"]).exclude(uuid=record["uuid"]).first()
        if taken:
            raise ArchiveProblem(
                f"{self.where} has the address (slug) “{record['slug']}” of another article "
                f"here, “{taken.headline}” ({taken.uuid}): rename one of them first"
            )
        values = {
            key: record[key]
            for key in (
                "language",
                "kicker",
                "headline",
                "slug",
                "dek",
                "lead",
                "status",
                "hero_caption",
                "hero_credit",
                "contributed_by",
                "original_url",
            )
        }
        values.update(
            translation_key=record["translation_key"],
            published_at=parsed_time(record["published_at"]),
            expires_at=parsed_time(record["expires_at"]),
            created_by_id=self.user(record["created_by"]),
            hero_photo=self.lookup("the photo", self.photos, record["hero_photo"]),
        )
        article, created = self.found_or_new(Article, record, values)
        article.full_clean(exclude=["uuid", "translated_from"], validate_unique=False)
        article.save(force_insert=created)
        self.articles[record["uuid"]] = article
        article.lead_sources.set(
            [self.lookup("the source", self.sources, key) for key in record["lead_sources"]]
        )
        sections = self.import_sections(article, record["sections"])
        self.import_quotes(article, record["quotes"], sections)
        article.notes.all().delete()
        for note in record["notes"]:
            made = UpdateNote(
                article=article,
                section=self.lookup("the question", sections, note["section"], NOT_ITS_OWN),
                kind=note["kind"],
                text=note["text"],
                noted_at=parsed_time(note["noted_at"]),
            )
            if self.keep_ids:
                made.pk = note["id"]
            made.full_clean(exclude=["article", "section"])
            made.save(force_insert=True)
        article.bylines.all().delete()
        for byline in record["authors"]:
            made = Byline(
                article=article,
                author=self.lookup("the author", self.authors, byline["author"]),
                position=byline["position"],
            )
            if self.keep_ids:
                made.pk = byline["id"]
            made.save(force_insert=True)
        self.set_tags(article, record["tags"])
        for redirect in record["redirects"]:
            old = Redirect.objects.filter(old_path=redirect["old_path"]).first()
            if old and old.article_id != article.pk:
                self.report.notes.append(
                    f"{self.where}: its old address {redirect['old_path']} already redirects to "
                    f"“{old.article}” here, and still does."
                )
                continue
            made = old or Redirect(old_path=redirect["old_path"], article=article)
            made.full_clean(exclude=["article"], validate_unique=False)
            made.save()
            Redirect.objects.filter(pk=made.pk).update(
                created_at=parsed_time(redirect["created_at"])
            )
        self.report.count("articles", created)

    def import_sections(self, article, records):
        """The article's questions become the archive's: {uuid: section}."""
        wanted = {r["uuid"] for r in records}
        elsewhere = QuestionSection.objects.filter(uuid__in=wanted).exclude(article=article)
        if elsewhere.exists():
            raise ArchiveProblem(f"{self.where}: a question of it belongs to another article here")
        article.sections.exclude(uuid__in=wanted).delete()
        # Out of the way of the unique positions and anchors the archive's order will take:
        # each to a position and an anchor that neither the archive nor the others have now.
        kept = list(article.sections.all())
        taken = {r["position"] for r in records} | {s.position for s in kept}
        spare = (n for n in range(32767, -1, -1) if n not in taken)
        anchors = {r["anchor"] for r in records}
        for section in kept:
            section.position, section.anchor = next(spare), f"moving-{section.pk}"
            while section.anchor in anchors:
                section.anchor += "-"
            QuestionSection.objects.filter(pk=section.pk).update(
                position=section.position, anchor=section.anchor
            )
        kept = {str(s.uuid): s for s in kept}
        sections = {}
        for record in records:
            section = kept.get(record["uuid"]) or QuestionSection(
                article=article, uuid=record["uuid"]
            )
            if self.keep_ids:
                section.pk = record["id"]
            section.position = record["position"]
            section.question = record["question"]
            section.anchor = record["anchor"]
            section.answer = record["answer"]
            section.revised_at = parsed_time(record["revised_at"])
            section.full_clean(exclude=["article", "uuid"], validate_unique=False)
            section.save(force_insert=section._state.adding)
            section.sources.set(
                [self.lookup("the source", self.sources, key) for key in record["sources"]]
            )
            sections[record["uuid"]] = section
        return sections

    def import_quotes(self, article, records, sections):
        wanted = {r["uuid"] for r in records}
        if Quote.objects.filter(uuid__in=wanted).exclude(article=article).exists():
            raise ArchiveProblem(f"{self.where}: a quote of it belongs to another article here")
        article.quotes.exclude(uuid__in=wanted).delete()
        kept = {str(q.uuid): q for q in article.quotes.all()}
        for record in records:
            quote = kept.get(record["uuid"]) or Quote(article=article, uuid=record["uuid"])
            if self.keep_ids:
                quote.pk = record["id"]
            quote.section = self.lookup("the question", sections, record["section"], NOT_ITS_OWN)
            quote.speaker = self.lookup("the speaker", self.speakers, record["speaker"])
            quote.source = self.lookup("the source", self.sources, record["source"])
            for key in ("position", "after_paragraph", "text", "speaker_role", "context"):
                setattr(quote, key, record[key])
            quote.said_on = parsed_day(record["said_on"])
            quote.full_clean(exclude=["article", "section", "uuid"])
            quote.save(force_insert=quote._state.adding)

    # History, into an empty site only: every record has its archive id, so the versions'
    # ids name the same records; only content types and users are this site's own.

    def import_revisions(self):
        from reversion.models import Revision, Version

        self.where = "the revisions"
        types = {
            str(pk): self.content_type(label)
            for pk, label in self.document.get("content_types", {}).items()
        }
        users = {pk: self.users.get(name) for pk, name in self.document.get("users", {}).items()}
        for record in self.document["revisions"]:
            revision = Revision.objects.create(
                date_created=parsed_time(record["date_created"]),
                user_id=self.user(record["user"]),
                comment=record["comment"],
            )
            for version in record["versions"]:
                content_type = self.content_type(version["model"])
                if content_type is None or not reversion.is_registered(content_type.model_class()):
                    raise ArchiveProblem(
                        f"a revision holds a version of {version['model']}, which Newsroom "
                        "keeps no history of"
                    )
                data = [self.translated(item, types, users) for item in version["data"]]
                Version.objects.create(
                    revision=revision,
                    object_id=version["object_id"],
                    content_type=content_type,
                    db="default",
                    format=version["format"],
                    serialized_data=json.dumps(data),
                    object_repr=version["object_repr"],
                )
            self.report.count("revisions", True)

    def content_type(self, label):
        app_label, _, model = label.partition(".")
        try:
            return ContentType.objects.get_by_natural_key(app_label, model)
        except ContentType.DoesNotExist:
            return None

    def translated(self, item, types, users):
        """A serialized object of a version, its content type and user ids made this site's."""
        from django.apps import apps

        try:
            model = apps.get_model(item["model"])
        except (LookupError, ValueError):
            raise ArchiveProblem(f"a revision names the unknown model {item['model']!r}") from None
        fields = dict(item["fields"])
        for name, value in fields.items():
            try:
                related = model._meta.get_field(name).related_model
            except Exception:
                continue
            if related is ContentType and value is not None:
                target = types.get(str(value))
                fields[name] = target.pk if target else None
            elif related is get_user_model() and value is not None:
                fields[name] = users.get(str(value))
        return {**item, "fields": fields}

    def move_sequences(self):
        """Ids were given explicitly: PostgreSQL's sequences move past them."""
        statements = connection.ops.sequence_reset_sql(no_style(), KEPT_IDS)
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)

"""
Backups of a whole site: the database, consistent at one moment, and the uploaded files.

`make_backup(directory)` writes one `newsroom-backup-<time>.tar.gz` holding

- `database.sqlite3` (SQLite's online backup API: a consistent copy while the site runs) or
  `database.pgdump` (`pg_dump --format=custom`, one snapshot);
- `media/…`, every uploaded file (photo originals and renditions);
- `manifest.json`: the format and its version, the database engine, when it was made, and the
  SHA-256 of every other member.

`restore_backup(path)` checks the manifest and every checksum before touching anything, then
replaces the database (SQLite: the backup API again; PostgreSQL: `pg_restore --clean
--single-transaction`) and the media files. An archive that is damaged, of another format or
version, or made from another database engine is refused with a message naming the problem.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connections

FORMAT = "newsroom-backup"
VERSION = 1


class BackupProblem(Exception):
    pass


def engine():
    vendor = connections["default"].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupProblem(f"backups know SQLite and PostgreSQL, not {vendor}")
    return vendor


def postgres_environment():
    """libpq's environment for the default database (no password on a command line)."""
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, name in (("USER", "PGUSER"), ("HOST", "PGHOST"), ("PORT", "PGPORT")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def run(command, **kwargs):
    if shutil.which(command[0]) is None:
        raise BackupProblem(f"{command[0]} is not installed (Debian: postgresql-client)")
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise BackupProblem(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def dump_database(vendor, target):
    if vendor == "sqlite":
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"],
            env=postgres_environment(),
        )


def make_backup(directory):
    """Write a backup archive into `directory`; its path."""
    vendor = engine()
    if vendor == "sqlite" and settings.DATABASES["default"]["NAME"] in ("", ":memory:"):
        raise BackupProblem("the database is in memory: there is no file to back up")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    archive = directory / f"newsroom-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / ("database.sqlite3" if vendor == "sqlite" else "database.pgdump")
        dump_database(vendor, database)
        media = Path(settings.MEDIA_ROOT)
        files = {database.name: sha256(database)}
        media_files = sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
        for path in media_files:
            files[f"media/{path.relative_to(media).as_posix()}"] = sha256(path)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "engine": vendor,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "files": files,
        }
        members = [(database.name, database)]
        members += [(f"media/{p.relative_to(media).as_posix()}", p) for p in media_files]
        pack(archive, manifest, members)
    return archive


def pack(archive, manifest, members):
    """Write a .tar.gz of `manifest` (as manifest.json) and `members`, (name, path) pairs, at
    `archive` — under a temporary name until it is whole, so no half-written archive ever has
    the final name."""
    partial = Path(archive).with_suffix(".partial")
    with tarfile.open(partial, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        data = json.dumps(manifest, indent=2).encode()
        info.size = len(data)
        tar.addfile(info, fileobj=io.BytesIO(data))
        for name, path in members:
            tar.add(path, arcname=name)
    partial.rename(archive)


def unpack(path, work, fmt, version, what, problem=None):
    """Unpack an archive made by pack() into `work` and check it: its format and version, and
    that every file its manifest lists is there with its checksum. The manifest, or `problem`
    (an exception class) naming what is wrong; `what` names the archive's kind in messages."""
    problem = problem or BackupProblem
    try:
        with tarfile.open(path, "r:gz") as tar:
            tar.extractall(work, filter="data")  # no absolute paths, links or ".." out of it
    except FileNotFoundError:
        raise problem(f"{path} does not exist") from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise problem(f"{path} is not a readable {what} archive ({error})") from None
    try:
        manifest = json.loads((Path(work) / "manifest.json").read_text())
    except (OSError, ValueError):
        raise problem("the archive has no readable manifest.json") from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        raise problem(f"the archive is not a Newsroom {what}")
    if manifest.get("version") != version:
        raise problem(
            f"the archive is a version {manifest.get('version')} {what}; "
            f"this Newsroom reads version {version}"
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise problem("the archive's manifest lists no files")
    for name, digest in files.items():
        member = Path(work) / name
        if not member.is_file():
            raise problem(f"the archive is missing {name}")
        if sha256(member) != digest:
            raise problem(f"{name} does not match its checksum: the archive is damaged")
    return manifest


def read_archive(path, work):
    """Unpack and check a backup into `work`: its manifest, or BackupProblem."""
    manifest = unpack(path, work, FORMAT, VERSION, "backup")
    if manifest.get("engine") != engine():
        raise BackupProblem(
            f"the archive holds a {manifest.get('engine')} database; this site runs on {engine()}"
        )
    return manifest


def restore_backup(path):
    """Replace the database and the media files with a backup's; the manifest."""
    with tempfile.TemporaryDirectory() as work:
        manifest = read_archive(path, work)
        vendor = manifest["engine"]
        connections["default"].close()
        if vendor == "sqlite":
            source = sqlite3.connect(Path(work) / "database.sqlite3")
            target = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    f"--dbname={settings.DATABASES['default']['NAME']}",
                    str(Path(work) / "database.pgdump"),
                ],
                env=postgres_environment(),
            )
        media = Path(settings.MEDIA_ROOT)
        unpacked = Path(work) / "media"
        if media.exists():
            shutil.rmtree(media)
        if unpacked.exists():
            shutil.copytree(unpacked, media)
        else:
            media.mkdir(parents=True, exist_ok=True)
    forget_pages()
    return manifest


def forget_pages():
    """Every page shown before the restore is stale: through the change pipeline, as any change
    to everything does — the site's group is bumped here, and the edge purged of it."""
    from . import changes, pagecache

    changes.refresh((), {pagecache.SITE})

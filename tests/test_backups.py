"""
Backups (issue 17, third part): `manage.py backup` and `restore` (make backup, make restore) on
the database the suite runs on — a SQLite file, or a scratch PostgreSQL database — with the media
files; a damaged archive is refused and changes nothing.
"""

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from django.db import connection

from explainers.backups import FORMAT, VERSION, BackupProblem, read_archive

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def site_database(tmp_path):
    """The environment of a throwaway site on the suite's kind of database."""
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "NEWSROOM_EDGE_URL": "",
    }
    env.pop("REDIS_URL", None)  # the throwaway site keeps its own cache
    if connection.vendor == "postgresql":
        import psycopg

        settings = connection.settings_dict
        name = f"newsroom_backup_{uuid.uuid4().hex[:8]}"
        admin = psycopg.connect(
            host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
            password=settings["PASSWORD"] or None, dbname="postgres", autocommit=True,
        )  # fmt: skip
        admin.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}/{name}"
        )
        yield env
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'site.sqlite3'}"
        yield env


def manage(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def shell(env, code):
    return manage(env, "shell", "-c", code).stdout.strip().splitlines()[-1]


COUNT = (
    "from explainers.models import Article; from photos.models import Photo; "
    "import os; p = Photo.objects.first(); "
    "print(Article.objects.count(), p is not None and os.path.exists(p.image.path))"
)


def test_a_backup_is_restored_database_and_media_alike(site_database, tmp_path):
    env = site_database
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_demo", "-v0")
    assert shell(env, COUNT) == "2 True"
    made = manage(env, "backup", str(tmp_path / "backups")).stdout
    archive = next((tmp_path / "backups").glob("newsroom-backup-*.tar.gz"))
    assert str(archive) in made
    # Disaster: the articles and the photo files are gone.
    shell(env, "from explainers.models import Article; Article.objects.all().delete(); print()")
    for path in (tmp_path / "media").rglob("*"):
        if path.is_file():
            path.unlink()
    assert shell(env, COUNT) == "0 False"
    restored = manage(env, "restore", str(archive), "--noinput")
    assert "Restored the backup made at" in restored.stdout
    assert shell(env, COUNT) == "2 True"
    # The restored site serves its article.
    page = shell(
        env,
        "from django.test import Client; from explainers.models import Article; "
        "a = Article.objects.get(language='en'); "
        "print(Client(HTTP_HOST='localhost').get(a.get_absolute_url()).status_code)",
    )
    assert page == "200"


def archive_with(tmp_path, manifest, members, name="backup.tar.gz"):
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as tar:
        for member, data in {"manifest.json": json.dumps(manifest).encode(), **members}.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def good_manifest(**changes):
    import hashlib

    return {
        "format": FORMAT,
        "version": VERSION,
        "engine": connection.vendor,
        "created_at": "2026-12-03T15:00:00+00:00",
        "files": {"database.sqlite3": hashlib.sha256(b"data").hexdigest()},
        **changes,
    }


@pytest.mark.parametrize(
    "manifest,members,message",
    [
        ({"version": 99}, {"database.sqlite3": b"data"}, "a version 99 backup"),
        ({"format": "something-else"}, {"database.sqlite3": b"data"}, "not a Newsroom backup"),
        ({"engine": "oracle"}, {"database.sqlite3": b"data"}, "holds a oracle database"),
        ({}, {"database.sqlite3": b"tampered"}, "does not match its checksum"),
        ({}, {}, "the archive is missing database.sqlite3"),
    ],
    ids=["version", "format", "engine", "checksum", "missing-file"],
)
def test_a_damaged_or_foreign_archive_is_refused_naming_the_problem(
    db, tmp_path, manifest, members, message
):
    path = archive_with(tmp_path, good_manifest(**manifest), members)
    with pytest.raises(BackupProblem, match=message):
        read_archive(path, tmp_path / "work")


def test_a_truncated_archive_is_refused(db, tmp_path):
    path = archive_with(tmp_path, good_manifest(), {"database.sqlite3": b"data" * 10_000})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(BackupProblem, match="is not a readable backup archive"):
        read_archive(path, tmp_path / "work")


def test_restore_refuses_a_damaged_archive_and_changes_nothing(site_database, tmp_path):
    env = site_database
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_demo", "-v0")
    path = archive_with(tmp_path, good_manifest(), {"database.sqlite3": b"tampered"})
    refused = manage(env, "restore", str(path), "--noinput", check=False)
    assert refused.returncode != 0
    assert (
        "does not match its checksum" in refused.stderr and "Nothing was changed" in refused.stderr
    )
    assert shell(env, COUNT) == "2 True"

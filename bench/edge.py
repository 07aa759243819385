"""
Benchmark the edge: the demo article from nginx, Varnish and gunicorn, then breaking news.

    .venv/bin/python bench/edge.py            # about two minutes
    .venv/bin/python bench/edge.py --quick    # seconds: proves the benchmark still runs (CI)

In one run on one machine (all on 127.0.0.1, free ports, a temporary directory, a throw-away
database: a new one on DATABASE_URL's PostgreSQL server, dropped afterwards, or SQLite), with wrk:

1. The demo article's exact bytes served by nginx from a file (the physical limit), the article
   through Varnish (deploy/run-edge.sh and deploy/varnish/newsroom.vcl), from gunicorn with the
   page cache warm and with it off, and a bare Django view with no middleware and no database
   (bench/bare_settings.py): requests/s, p50, p99, errors, and the ratios the targets name.
   Beside them, references measured in the same run: Varnish with its built-in VCL alone, and a
   bare Django view sending the article's own bytes and headers. Then the content API: the
   article's JSON and the first list page, uncached and through Varnish.
2. Breaking news: readers at full load through Varnish while an editor saves a correction
   through the admin every 2 seconds (the stack of `make serve`: Redis as the shared cache, the
   database task queue and its worker, purges by surrogate key). Probe readers record which
   correction each response shows; printed: errors, the edge's hit ratio (varnishstat), and the
   age of what readers saw — how long a newer correction had been saved when a reader was still
   given an older one.

Targets (on the 2-core machine): Varnish ≥ 0.7× nginx; gunicorn cached ≥ 0.8× the bare view;
breaking news with 0 errors, a hit ratio ≥ 99 %, and no reader given a version older than a
correction saved 1 s before the request.
3. Heavy work out of the request, on the same stack: the editor uploads a 6000 × 4000 JPEG
   through the admin (the answer's time, then how long until the worker's renditions exist), and
   renames a source cited by 10,000 articles (the save's time, then the worker's rebuild of their
   page documents: articles per second). Targets: each answer under a second.
Without --quick a missed target makes the exit code 1.
Needs wrk, varnishd (with the xkey vmod), nginx and redis-server: deploy/install-edge.sh and
tests/browser/setup.sh install them as root; otherwise the script says what is missing.
"""

import argparse
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datetime import UTC

from bench.serve import (  # noqa: E402
    PAGE,
    ROOT,
    Server,
    free_port,
    manage,
    parse_wrk,
    run_wrk,
    seed,
    workspace,
    write_page,
)

TARGETS = {"varnish / nginx": 0.7, "cached / bare": 0.8}
ANSWER_WITHIN = 1.0  # seconds: the upload and the rename answer within this
CITED_BY = 10_000  # articles citing the renamed source
HIT_RATIO = 0.99
FRESH_AFTER = 1.0  # seconds after a correction is saved, no reader may be given an older page
SAVE_EVERY = 2.0
HELLO = "/bench/hello/"
API = "/api/v1/"
CORRECTION = re.compile(rb"\(correction (\d+)\)")
EDITOR, PASSWORD = "bench-editor", "bench-" + os.urandom(8).hex()


def missing_tools():
    """What the benchmark needs and the machine lacks, after the project's installers ran."""
    if os.geteuid() == 0:
        subprocess.run(["bash", str(ROOT / "deploy/install-edge.sh")], check=False)
        subprocess.run(
            ["bash", str(ROOT / "tests/browser/setup.sh")], check=False, stdout=subprocess.DEVNULL
        )
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return [
        t for t in ("wrk", "varnishd", "nginx", "redis-server") if not shutil.which(t, path=path)
    ]


def wait_for(url, process, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"bench: {what} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"bench: {what} did not answer {url}")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Nginx:
    """nginx serving one file, the page's bytes, from a temporary directory: its pid file, logs
    and temporary paths there too, in the foreground (stopped by its process id)."""

    def __init__(self, tmp, body):
        root = Path(tmp) / "nginx"
        (root / "www").mkdir(parents=True)
        (root / "www" / "page.html").write_bytes(body)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        conf = root / "nginx.conf"
        temp = "\n".join(
            f"    {name}_temp_path {root}/{name};"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        conf.write_text(
            f"""daemon off;
worker_processes auto;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            root {root}/www;
            default_type "text/html; charset=utf-8";
            try_files /page.html =404;
        }}
    }}
}}
"""
        )
        # Its workers run as nobody when started by root: they must read the page.
        for path in (Path(tmp), root, root / "www", root / "www" / "page.html"):
            path.chmod(0o755)
        nginx = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
        self.process = subprocess.Popen(
            [nginx, "-p", str(root), "-c", str(conf), "-e", f"{root}/error.log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.base + "/", self.process, "nginx")

    def stop(self):
        stop(self.process)


class Edge:
    """Varnish with Newsroom's VCL (deploy/run-edge.sh) in front of an origin."""

    def __init__(self, tmp, origin_port, name, port=None, vcl=None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tmp) / f"edge-{name}"
        Path(tmp).chmod(0o755)
        env = {
            **os.environ,
            "EDGE_LISTEN": f"127.0.0.1:{self.port}",
            "EDGE_ORIGIN": f"127.0.0.1:{origin_port}",
            "EDGE_DIR": str(self.dir),
        }
        if vcl:
            env["EDGE_VCL"] = str(vcl)
        self.process = subprocess.Popen(
            ["bash", str(ROOT / "deploy/run-edge.sh")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.base + "/healthz", self.process, "varnishd")

    def counters(self):
        varnishstat = shutil.which("varnishstat", path=os.environ.get("PATH", "") + ":/usr/bin")
        out = subprocess.run(
            [varnishstat, "-n", str(self.dir / "varnishd"), "-1", "-j"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        data = json.loads(out)
        data = data.get("counters", data)
        return {name: data[f"MAIN.{name}"]["value"] for name in ("cache_hit", "cache_miss")}

    def stop(self):
        # varnishd runs in the foreground under run-edge.sh's exec: its process id is ours.
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


class Redis:
    def __init__(self, tmp):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket_to(self.port) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        sys.exit("bench: redis-server did not start")

    def stop(self):
        stop(self.process)


def socket_to(port):
    import socket

    return socket.create_connection(("127.0.0.1", port), timeout=1)


class Editor:
    """A member of staff saving the article in the admin, as a browser would: the change form's
    fields as they are, with the standfirst saying which correction this is."""

    def __init__(self, base, article_id):
        self.base = base
        self.url = f"{base}/admin/explainers/article/{article_id}/change/"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        login = f"{base}/admin/login/"
        page = self.opener.open(login).read()
        self.post(
            login,
            {
                "username": EDITOR,
                "password": PASSWORD,
                "next": "/admin/",
                "csrfmiddlewaretoken": self.token(page),
            },
        )
        self.saved = []  # (correction number, when its save had committed)
        self.errors = 0
        self.refused = ""  # what the admin said about the last save it refused
        self.took = []  # seconds each save took, the form's load included

    def token(self, page):
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1].decode()

    def post(self, url, fields):
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        return self.opener.open(request)

    def form_fields(self, url, selector):
        """The fields of a form on an admin page as a browser would send them, unchanged."""
        from bs4 import BeautifulSoup

        form = BeautifulSoup(self.opener.open(url).read(), "html.parser").select_one(selector)
        data = {}
        for field in form.select("input[name], textarea[name], select[name]"):
            name = field["name"]
            if "__prefix__" in name or field.get("type") in ("submit", "file", "image"):
                continue
            if field.name == "textarea":
                data[name] = field.text.lstrip("\n")
            elif field.name == "select":
                chosen = [o["value"] for o in field.select("option[selected]")]
                data[name] = chosen if field.has_attr("multiple") else (chosen or [""])[0]
            elif field.get("type") == "checkbox":
                if field.has_attr("checked"):
                    data[name] = field.get("value", "on")
            else:
                data[name] = field.get("value", "")
        return data

    def upload(self, url, fields, name, filename, content):
        """POST a multipart form with one file, as a browser's file input does."""
        boundary = "newsroom-bench-" + os.urandom(8).hex()
        parts = []
        for key, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                    f"{item}\r\n".encode()
                )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(
            url,
            data=b"".join(parts),
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": url,
            },
        )
        return self.opener.open(request)

    @staticmethod
    def why(page):
        """What the admin said about a form it did not save: its error messages, in one line."""
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(page, "html.parser")
        said = [e.get_text(" ", strip=True) for e in soup.select(".errornote, .errorlist")]
        return "; ".join(filter(None, said)) or (
            soup.title.get_text(strip=True) if soup.title else ""
        )

    def correct(self, number):
        began = time.time()
        data = self.form_fields(self.url, "form#article_form")
        data["dek"] = CORRECTION.sub(b"", data.get("dek", "").encode()).decode().rstrip()
        data["dek"] += f" (correction {number})"
        data["_save"] = "Save"
        response = self.post(self.url, data)
        if response.status != 200 or response.url.rstrip("/").endswith("/change"):
            self.errors += 1
            self.refused = self.why(response.read())
            return False
        self.saved.append((number, time.time()))
        self.took.append(self.saved[-1][1] - began)
        return True


class Readers:
    """Readers that remember which correction each page showed them, and when they asked."""

    def __init__(self, port, path, threads=2):
        self.port, self.path = port, path
        self.seen = []  # (when asked, correction number or 0)
        self.errors = 0
        self.running = True
        self.threads = [threading.Thread(target=self.read, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def read(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        while self.running:
            asked = time.time()
            try:
                connection.request("GET", self.path)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                self.errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                continue
            if response.status != 200:
                self.errors += 1
                continue
            match = CORRECTION.search(body)
            self.seen.append((asked, int(match[1]) if match else 0))

    def stop(self):
        self.running = False
        for thread in self.threads:
            thread.join(10)


def purge_settings(edge_base):
    """The origin's settings that make it purge this edge by surrogate key after each change
    (explainers/tasks.py purge_edge, through the purge backend setting)."""
    return {"NEWSROOM_EDGE_URL": edge_base}


def staleness(seen, saved):
    """For each response: how long a newer correction than the one it showed had been saved when
    it was asked for (0 if none had). And the responses older than a correction saved at least
    FRESH_AFTER seconds before they were asked for."""
    ages, late = [], 0
    saved_at = dict(saved)
    for asked, number in seen:
        newer = saved_at.get(number + 1)
        ages.append(max(0.0, asked - newer) if newer is not None and newer <= asked else 0.0)
        if any(at <= asked - FRESH_AFTER and n > number for n, at in saved):
            late += 1
    return ages, late


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(share * len(values)))] if values else 0.0


def breaking_news(tmp, env, article, seconds, connections, wrk, cited):
    """The stack of `make serve` under a spike while an editor corrects the story."""
    redis = Redis(tmp)
    news_env = {**env, "REDIS_URL": redis.url, "NEWSROOM_TASKS": "database"}
    manage(news_env, "migrate", "--noinput")
    helper(news_env, "--editor")  # the superuser whose saves the admin records
    article_id = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from explainers.models import "
            f"Article; print(next(a.pk for a in Article.objects.published() "
            f"if a.get_absolute_url() == {article!r}))",
        ],
        cwd=ROOT,
        env=news_env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    workers = (os.cpu_count() or 1) * 2
    # The worker's log outlives the run's temporary directory: it says why a task failed.
    worker_log = tempfile.NamedTemporaryFile(
        "w", prefix="newsroom-bench-worker-", suffix=".log", delete=False
    )
    print(f"(the task worker's log: {worker_log.name})", flush=True)
    edge_port = free_port()  # the origin must know where to send its purges
    news_env.update(purge_settings(f"http://127.0.0.1:{edge_port}"))
    origin = Server(news_env, workers)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "task_worker", "--queue-name", "*", "--interval", "0.2"],
        cwd=ROOT,
        env=news_env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    edge = Edge(tmp, origin.port, "news", edge_port)
    readers = None
    try:
        editor = Editor(edge.base, article_id)
        if not editor.correct(1):
            sys.exit(f"bench: the editor's first correction was not saved: {editor.refused}")
        time.sleep(0.5)
        page = urllib.request.urlopen(edge.base + article).read()
        if b"(correction " not in page:
            sys.exit("bench: the article does not show its standfirst; nothing to measure")
        run_wrk(wrk, edge.base + article, 1, connections)  # the edge warm
        before = edge.counters()
        readers = Readers(edge.port, article)
        load = subprocess.Popen(
            [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", edge.base + article],
            stdout=subprocess.PIPE,
            text=True,
        )
        number, started = 1, time.monotonic()
        while time.monotonic() - started < seconds - SAVE_EVERY / 2:
            time.sleep(max(0.0, started + number * SAVE_EVERY - time.monotonic()))
            number += 1
            editor.correct(number)
        out, _ = load.communicate(timeout=seconds + 30)
        time.sleep(FRESH_AFTER)
        readers.stop()
        after = edge.counters()
        heavy = heavy_work(news_env, editor, edge, cited)
    finally:
        if readers:
            readers.running = False
        edge.stop()
        stop(worker)
        origin.stop()
        redis.stop()
    result = parse_wrk(out)
    hits = after["cache_hit"] - before["cache_hit"]
    misses = after["cache_miss"] - before["cache_miss"]
    ages, late = staleness(readers.seen, editor.saved)
    return {
        "wrk": result,
        "saves": len(editor.saved) - 1,
        "editor errors": editor.errors,
        "reader errors": readers.errors,
        "probes": len(readers.seen),
        "hit ratio": hits / max(1, hits + misses),
        "hits": hits,
        "misses": misses,
        "save seconds": sum(editor.took[1:]) / max(1, len(editor.took) - 1),
        "age p99": percentile(ages, 0.99),
        "age max": max(ages, default=0.0),
        "late": late,
        "heavy": heavy,
    }


def django_here(env):
    """Set Django up in this process on the benchmark's database (the helpers below)."""
    os.environ.update(env)
    import django

    django.setup()


def seed_cited(count):
    """A source cited in the lead of `count` new published articles, their page documents
    built; prints the source's id and the initial build's rate."""
    from django.db import transaction
    from django.utils import timezone

    from explainers import document
    from explainers.models import Article, Source

    now = timezone.now()
    with transaction.atomic():
        run = os.urandom(4).hex()  # the seed may run twice on one database (--seed-cited by hand)
        source = Source.objects.create(
            name="Ministry of Defence",
            url=f"https://ministry.example/statements/{run}",
            kind=Source.Kind.STATEMENT,
        )
        articles = Article.objects.bulk_create(
            [
                Article(
                    headline=f"Explainer {n}: what the ministry said",
                    slug=f"cited-{run}-{n}",
                    dek=f"Story {n}, with the ministry's statement.",
                    lead=f"<p>The lead of story {n}, citing the ministry.</p>",
                    status=Article.Status.PUBLISHED,
                    published_at=now - timezone.timedelta(days=400, minutes=n),
                )
                for n in range(count)
            ]
        )
        Through = Article.lead_sources.through
        Through.objects.bulk_create([Through(article=a, source=source) for a in articles])
    ids = [a.pk for a in articles]
    began = time.monotonic()
    for start in range(0, len(ids), 200):
        document.rebuild(ids[start : start + 200])
    took = time.monotonic() - began
    print(
        json.dumps(
            {"source": source.pk, "article": articles[0].get_absolute_url(), "rate": count / took}
        )
    )


def wait_for_tasks(task_path, since, limit):
    """Wait until no `task_path` task is ready or running; print the seconds since `since` (an
    epoch time) and how many ran, or fail after `limit` seconds."""
    from datetime import datetime

    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(
        task_path=task_path, enqueued_at__gte=datetime.fromtimestamp(since, UTC)
    )
    while queued.filter(status__in=["READY", "RUNNING"]).exists() or not queued.exists():
        if time.time() - since > limit:
            sys.exit(f"bench: {task_path} still queued after {limit:.0f} s")
        time.sleep(0.05)
    failed = queued.filter(status="FAILED").count()
    print(json.dumps({"seconds": time.time() - since, "tasks": queued.count(), "failed": failed}))


def helper(env, *args):
    """Run one of the helpers above in a fresh process on the benchmark's database."""
    done = subprocess.run(
        [sys.executable, __file__, *args],
        cwd=ROOT,
        env={**env, "BENCH_HELPER_ENV": json.dumps(env), "BENCH_EDITOR_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"bench: {' '.join(args)} failed:\n{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def heavy_work(env, editor, edge, cited):
    """Work that must not happen inside a request: an agency photo's upload, and renaming a
    source cited by `cited` articles. Each answer is timed, then the worker's catch-up."""
    photo_path = Path(env["DJANGO_MEDIA_ROOT"]).parent / "agency.jpg"
    helper(env, "--agency-photo", str(photo_path))  # bench/photos.py draws it
    jpeg = photo_path.read_bytes()
    base = editor.base
    add = f"{base}/admin/photos/photo/add/"
    fields = editor.form_fields(add, "form#photo_form")
    fields.update({"title": "Agency photo", "alt_text": "Troops on a plain", "_save": "Save"})
    began = time.time()
    response = editor.upload(add, fields, "image", "agency.jpg", jpeg)
    upload_took = time.time() - began
    if response.url.rstrip("/").endswith("/add"):
        sys.exit("bench: the photo upload was refused")
    renditions = helper(env, "--wait-tasks", "explainers.tasks.make_renditions", str(began))

    seeded = helper(env, "--seed-cited", str(cited))
    url = f"{base}/admin/explainers/source/{seeded['source']}/change/"
    fields = editor.form_fields(url, "form#source_form")
    fields.update({"name": "Ministry of Defence (renamed)", "_save": "Save"})
    began = time.time()
    response = editor.post(url, fields)
    rename_took = time.time() - began
    if response.url.rstrip("/").endswith("/change"):
        sys.exit("bench: the source's rename was refused")
    rebuilt = helper(
        env, "--wait-tasks", "explainers.tasks.rebuild_documents", str(began), "--limit", "600"
    )
    page = urllib.request.urlopen(edge.base + seeded["article"]).read()
    return {
        "photo bytes": len(jpeg),
        "upload": upload_took,
        "renditions": renditions,
        "cited": cited,
        "initial rate": seeded["rate"],
        "rename": rename_took,
        "rebuilt": rebuilt,
        "renamed at the edge": b"Ministry of Defence (renamed)" in page,
    }


def main():
    helpers = ("--seed-cited", "--wait-tasks", "--agency-photo", "--editor")
    if len(sys.argv) > 1 and sys.argv[1] in helpers:
        django_here(json.loads(os.environ["BENCH_HELPER_ENV"]))
        if sys.argv[1] == "--editor":
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.get_or_create(username=EDITOR)[0]
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(os.environ["BENCH_EDITOR_PASSWORD"])
            user.save()
            return print("{}")
        if sys.argv[1] == "--agency-photo":
            from bench.photos import agency_photo

            Path(sys.argv[2]).write_bytes(agency_photo())
            return print("{}")
        if sys.argv[1] == "--seed-cited":
            return seed_cited(int(sys.argv[2]))
        limit = float(sys.argv[5]) if len(sys.argv) > 5 else 60
        return wait_for_tasks(sys.argv[2], float(sys.argv[3]), limit)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="seconds-long runs (CI)")
    parser.add_argument("--seconds", type=int, default=10, help="each throughput run")
    parser.add_argument("--news-seconds", type=int, default=60, help="the breaking-news run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--cited",
        type=int,
        help=f"articles citing the renamed source (default {CITED_BY:,}, 300 with --quick)",
    )
    args = parser.parse_args()
    # A SIGTERM (a CI timeout, kill) unwinds like Ctrl-C: the servers started are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seconds = 1 if args.quick else args.seconds
    news_seconds = 7 if args.quick else args.news_seconds
    missing = missing_tools()
    if missing:
        print(
            f"bench: skipped, missing {' '.join(missing)}: run deploy/install-edge.sh and "
            "tests/browser/setup.sh as root, or: sudo apt-get install " + " ".join(missing)
        )
        sys.exit(77)
    wrk = shutil.which("wrk")
    workers = (os.cpu_count() or 1) * 2
    results = {}

    with workspace("newsroom-edge-bench-") as (tmp, env):
        print(
            f"Database: {env['DATABASE_URL'].split('@')[-1]}; origin cache: local memory per "
            f"worker, Redis for breaking news; {workers} gunicorn workers; "
            f"wrk {seconds}s × {args.connections} connections",
            flush=True,
        )
        article = seed(env)

        def measure(label, url):
            run_wrk(wrk, url, 1, args.connections)  # warm up
            results[label] = run_wrk(wrk, url, seconds, args.connections)

        cached = Server({**env, "NEWSROOM_PAGE_CACHE": "1"}, workers)
        try:
            body, page_env = write_page(tmp, cached.base + article)
            nginx = Nginx(tmp, body)
            try:
                measure("nginx", nginx.base + "/" + article.strip("/") + "/")
            finally:
                nginx.stop()
            lookup = f"{cached.base}{API}articles/by-address/?url={urllib.parse.quote(article)}"
            api_detail = urllib.parse.urlsplit(
                json.load(urllib.request.urlopen(lookup))["api_url"]
            ).path
            api_list = f"{API}articles/"
            edge = Edge(tmp, cached.port, "throughput")
            try:
                measure("varnish", edge.base + article)
                measure("api detail edge", edge.base + api_detail)
                measure("api list edge", edge.base + api_list)
            finally:
                edge.stop()
            # Varnish's ceiling here: its built-in VCL alone, nothing of Newsroom's.
            builtin = Path(tmp) / "builtin.vcl"
            builtin.write_text(
                'vcl 4.1;\ninclude "origin.vcl";\n'
                # origin.vcl's ACL must be used for the VCL to compile.
                'sub vcl_recv { if (req.method == "PURGE" && client.ip ~ purgers) '
                "{ return (synth(405)); } }\n"
            )
            builtin.chmod(0o644)
            edge = Edge(tmp, cached.port, "builtin", vcl=builtin)
            try:
                measure("varnish builtin", edge.base + article)
            finally:
                edge.stop()
            measure("cached", cached.base + article)
        finally:
            cached.stop()
        uncached = Server({**env, "NEWSROOM_PAGE_CACHE": "0"}, workers)
        try:
            measure("uncached", uncached.base + article)
            measure("api detail uncached", uncached.base + api_detail)
            measure("api list uncached", uncached.base + api_list)
        finally:
            uncached.stop()
        bare_env = {**env, **page_env, "DJANGO_SETTINGS_MODULE": "bench.bare_settings"}
        bare = Server(bare_env, workers, HELLO)
        try:
            measure("bare", bare.base + HELLO)
            measure("bare page", bare.base + PAGE)
        finally:
            bare.stop()

        print(f"\nThe article ({len(body):,} bytes):")
        print(f"{'served by':<32}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
        for label, name in (
            ("nginx", "nginx, the same bytes"),
            ("varnish", "Varnish (edge)"),
            ("varnish builtin", "Varnish, its built-in VCL"),
            ("cached", "gunicorn, cached"),
            ("uncached", "gunicorn, uncached"),
            ("bare", "bare Django view (hello)"),
            ("bare page", "bare Django, its bytes"),
            ("api detail uncached", "API article, uncached"),
            ("api detail edge", "API article, Varnish"),
            ("api list uncached", "API first list page, uncached"),
            ("api list edge", "API first list page, Varnish"),
        ):
            r = results[label]
            print(f"{name:<32}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>8}")
        ratios = {
            "varnish / nginx": results["varnish"]["rps"] / results["nginx"]["rps"],
            "cached / bare": results["cached"]["rps"] / results["bare"]["rps"],
        }
        print(
            f"\nReferences measured alongside: Varnish with Newsroom's VCL / with its built-in "
            f"VCL: {results['varnish']['rps'] / results['varnish builtin']['rps']:.2f}×; "
            f"its built-in VCL / nginx: "
            f"{results['varnish builtin']['rps'] / results['nginx']['rps']:.2f}×"
        )
        print(
            f"cached / the same bytes and headers from the bare view: "
            f"{results['cached']['rps'] / results['bare page']['rps']:.2f}×"
        )

        print(
            f"\nBreaking news: {news_seconds}s of readers through Varnish, a correction "
            f"saved in the admin every {SAVE_EVERY:.0f}s",
            flush=True,
        )
        cited = args.cited or (300 if args.quick else CITED_BY)
        news = breaking_news(tmp, env, article, news_seconds, args.connections, wrk, cited)
    w = news["wrk"]
    print(
        f"readers (wrk): {w['rps']:.0f} req/s, p50 {w['p50']:.2f} ms, p99 {w['p99']:.2f} ms, "
        f"{w['errors']} errors"
    )
    print(
        f"probe readers: {news['probes']} pages read, {news['reader errors']} errors; "
        f"editor: {news['saves']} corrections saved, {news['editor errors']} failed saves"
    )
    print(
        f"editor: a save took {news['save seconds']:.2f} s on average (the form loaded, filled "
        f"and posted); one every {SAVE_EVERY:.0f} s when it is quicker than that"
    )
    print(
        f"edge hit ratio: {news['hit ratio']:.3%} ({news['hits']:,} hits, "
        f"{news['misses']:,} misses)"
    )
    print(
        f"age of what readers saw (a newer correction already saved): "
        f"p99 {news['age p99'] * 1000:.0f} ms, max {news['age max'] * 1000:.0f} ms; "
        f"pages older than a correction saved {FRESH_AFTER:.0f}s before: {news['late']}"
    )

    h = news["heavy"]
    r, b = h["renditions"], h["rebuilt"]
    print(
        f"\nHeavy work, on the same stack:\n"
        f"upload of a 6000 × 4000 JPEG ({h['photo bytes'] / 1e6:.1f} MB) through the admin: "
        f"answered in {h['upload']:.2f} s; its renditions made by the worker "
        f"{r['seconds']:.1f} s after the upload began ({r['failed']} failed)"
    )
    print(
        f"rename of a source cited by {h['cited']:,} articles: answered in {h['rename']:.2f} s; "
        f"the worker rebuilt their documents in {b['tasks']} batches, done "
        f"{b['seconds']:.1f} s after the save began: {h['cited'] / b['seconds']:.0f} articles/s "
        f"(a loop in one process builds {h['initial rate']:.0f}/s); the new name at the edge: "
        f"{'yes' if h['renamed at the edge'] else 'NO'}"
    )

    print()
    failures = []
    for name, target in TARGETS.items():
        met = ratios[name] >= target
        print(f"{name}: {ratios[name]:.2f}× (target ≥ {target}×) {'met' if met else 'MISSED'}")
        if not met:
            failures.append(name)
    errors = w["errors"] + news["reader errors"] + news["editor errors"]
    errors += sum(r["errors"] for r in results.values())
    if errors:
        failures.append(f"{errors} errors")
    if news["hit ratio"] < HIT_RATIO:
        failures.append(f"hit ratio {news['hit ratio']:.2%} < {HIT_RATIO:.0%}")
    if news["late"]:
        failures.append(f"{news['late']} pages older than a correction {FRESH_AFTER:.0f}s old")
    for what in ("upload", "rename"):
        met = h[what] < ANSWER_WITHIN
        print(
            f"{what} answered in {h[what]:.2f} s (target < {ANSWER_WITHIN:g} s) "
            f"{'met' if met else 'MISSED'}"
        )
        if not met:
            failures.append(f"the {what} took {h[what]:.2f} s")
    if r["failed"] or b["failed"] or not h["renamed at the edge"]:
        failures.append("background work failed or did not reach the edge")
    print("Targets: " + ("all met" if not failures else "; ".join(failures)))
    if failures and not args.quick:
        sys.exit(1)


if __name__ == "__main__":
    main()

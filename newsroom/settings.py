"""
Newsroom settings, read from the environment (12-factor) with safe development defaults.

See .env.example for every variable. Nothing here needs editing to deploy: set the variables.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.forms import Script
from django.utils.translation import gettext_noop

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or default


# Off unless asked for: a deployment that forgets the variable shows no debug pages. `make run`
# sets DJANGO_DEBUG=1.
DEBUG = env_bool("DJANGO_DEBUG", False)

# Development only: a fixed key so sessions and share links survive restarts of `make run`. It is
# public — anyone could sign sessions and share links with it — so without DEBUG it is refused
# like a missing key.
development_key = "django-insecure-newsroom-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not DEBUG and SECRET_KEY in ("", development_key):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a secret value when DJANGO_DEBUG is off (it signs "
        "sessions and share links; the development key is public). For development, set "
        "DJANGO_DEBUG=1."
    )
SECRET_KEY = SECRET_KEY or development_key

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "newsroom.apps.NewsroomAdminConfig",  # django.contrib.admin with the newsroom desk
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "csp",
    "django_prose_editor",
    "adminsortable2",
    "newsroom.apps.TagsConfig",  # taggit, labelled "Tags"
    "reversion",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API documentation page's files, served from here
    "corsheaders",
    "explainers",
    "photos",
]

MIDDLEWARE = [
    # First, so that its duration covers everything below it.
    "newsroom.middleware.RequestLogMiddleware",
    # CORS for the content API (CORS_URLS_REGEX): above the early hit, so cached answers carry it.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "newsroom.middleware.CSPMiddleware",  # django-csp's, its usual policy built once
    # Response headers only; above the early hit so that a cached page carries them too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The address's language (/ru/…) for the URL resolver, views and templates; the early hit
    # resolves the address too.
    "explainers.languages.LanguageMiddleware",
    # A reader's cached page is answered here, before sessions, CSRF, auth and messages.
    "explainers.pagecache.EarlyHitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A 404 at an article's old address becomes a 301 to where it is now (explainers.redirects).
    "explainers.redirects.RedirectMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "explainers.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, so that a check made inside an atomic block
    # (such as the admin's "has anyone saved since you opened this?") still holds at its writes.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["transaction_mode"] = "IMMEDIATE"
    # gunicorn's workers and the task worker share the file: a writer waits up to 20 s for
    # another's lock (Django's default, 5 s, made the task worker exit while a long rebuild
    # wrote), and with write-ahead logging readers never wait for a writer at all.
    options.setdefault("timeout", 20)
    options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")

elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A page's queries run in a millisecond or two. No JIT compilation: PostgreSQL compiles any
    # whose estimated cost is high (a correlated subquery per row, say) — 250 ms of compiling
    # for 3 ms of work on the tag sitemap at 100,000 articles (bench/scale.py). No parallel
    # workers either: starting them took 5 ms of a search's 8.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # A dead database host answers nothing: give up connecting after a few seconds (the
    # request is answered 503, newsroom.outage) rather than hang the worker.
    options.setdefault("connect_timeout", int(os.environ.get("DJANGO_DB_CONNECT_TIMEOUT", "3")))
    settings_options = "-c jit=off -c max_parallel_workers_per_gather=0"
    options["options"] = " ".join(filter(None, [options.get("options"), settings_options]))

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsroom",
            "TIMEOUT": 24 * 60 * 60,
            "OPTIONS": {
                # If Redis goes away the site keeps serving from the database: cache calls
                # answer "miss" fast, the fault is logged, and the pool reconnects by itself.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "newsroom.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "newsroom.cache.LocalMemoryCache",
            "TIMEOUT": 24 * 60 * 60,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# Anonymous reader pages are cached until what they show changes (explainers.pagecache).
NEWSROOM_PAGE_CACHE = env_bool("NEWSROOM_PAGE_CACHE", True)
# The edge cache in front of the origin (explainers/edge.py): where purges by surrogate key go.
# With NEWSROOM_EDGE_URL set (Varnish, e.g. http://127.0.0.1:8000), each committed change purges
# the pages it touched there; without, there is no edge to purge.
NEWSROOM_EDGE_URL = os.environ.get("NEWSROOM_EDGE_URL", "").rstrip("/")
NEWSROOM_EDGE = {
    "BACKEND": "explainers.edge.VarnishPurge" if NEWSROOM_EDGE_URL else "explainers.edge.NoEdge",
    "URL": NEWSROOM_EDGE_URL,
}
# What the edge and browsers may do with a public page: browsers keep it a minute (max-age); an
# edge that is purged on every change keeps it a day (s-maxage), other shared caches a minute;
# stale-while-revalidate is the edge's grace. Lifetimes are cut at the next scheduled
# publication (explainers.pagecache.cache_control). The application's own cache is never stale.
NEWSROOM_PUBLIC_CACHE_CONTROL = os.environ.get(
    "NEWSROOM_PUBLIC_CACHE_CONTROL",
    "public, max-age=60, s-maxage=86400, stale-while-revalidate=300"
    if NEWSROOM_EDGE_URL
    else "public, max-age=60, stale-while-revalidate=300",
)

# Background work (explainers/tasks.py), through the django.tasks API (the django-tasks
# backport). "immediate" (the default: `make run` and the tests need no worker) runs a task
# in the process that enqueues it, once the write commits; "database" queues it in the
# project's own database (django-tasks-db) for `manage.py db_worker` to run.
NEWSROOM_TASKS = os.environ.get("NEWSROOM_TASKS", "immediate").strip().lower() or "immediate"
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.backend.DatabaseBackend",
}
if NEWSROOM_TASKS not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"NEWSROOM_TASKS must be one of {', '.join(TASK_BACKENDS)}, not {NEWSROOM_TASKS!r}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[NEWSROOM_TASKS]}}
# A failing task is tried this many times in all, waiting NEWSROOM_TASK_RETRY_SECONDS, then
# twice that, and so on, between attempts (on the database backend).
NEWSROOM_TASK_ATTEMPTS = int(os.environ.get("NEWSROOM_TASK_ATTEMPTS", 3))
NEWSROOM_TASK_RETRY_SECONDS = float(os.environ.get("NEWSROOM_TASK_RETRY_SECONDS", 30))
# A change showing on more articles than this rebuilds their page documents in tasks, in
# batches of NEWSROOM_REBUILD_BATCH, instead of inside the request (explainers.changes).
NEWSROOM_REBUILD_INLINE = int(os.environ.get("NEWSROOM_REBUILD_INLINE", 20))
NEWSROOM_REBUILD_BATCH = int(os.environ.get("NEWSROOM_REBUILD_BATCH", 200))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The site's own words in the newsroom's other languages: locale/<code>/LC_MESSAGES/django.po,
# compiled by `make messages` (run by make run and make test).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# Production serves collected static files with hashed names, compressed, cached for a year
# (whitenoise); `make serve` runs collectstatic first. Development and tests use the files as
# they are.
HASHED_STATIC = env_bool("DJANGO_HASHED_STATIC", not DEBUG)
WHITENOISE_USE_FINDERS = not HASHED_STATIC
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if HASHED_STATIC
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# Let Django itself serve uploads (always on with DEBUG). Off in production: storage does it.
NEWSROOM_SERVE_MEDIA = env_bool("NEWSROOM_SERVE_MEDIA", False)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TAGGIT_CASE_INSENSITIVE = True

# The site's identity: templates, feeds and structured data read these (never hard-coded).
NEWSROOM_SITE_NAME = os.environ.get("NEWSROOM_SITE_NAME", "Newsroom")
# The default tagline and description are in the message catalogues (gettext_noop marks them
# for makemessages): each language's pages show them in its words.
NEWSROOM_SITE_TAGLINE = os.environ.get(
    "NEWSROOM_SITE_TAGLINE", gettext_noop("The questions behind the news, answered.")
)
NEWSROOM_SITE_DESCRIPTION = os.environ.get(
    "NEWSROOM_SITE_DESCRIPTION",
    gettext_noop(
        "Explainers on the news: each story told as the questions readers ask, answered with "
        "named sources."
    ),
)
# A static file; search engines want a raster logo for a news publisher.
NEWSROOM_LOGO = os.environ.get("NEWSROOM_LOGO", "logo.png")
NEWSROOM_TWITTER = os.environ.get("NEWSROOM_TWITTER", "")  # e.g. "@newsroom"
NEWSROOM_SAME_AS = env_list("NEWSROOM_SAME_AS", [])  # the publisher's social profile URLs
# The languages the newsroom publishes in (NEWSROOM_LANGUAGES: "code:Name,…"); each story may
# have one version per language, linked as translations. NEWSROOM_LANGUAGE is the site's own:
# its articles keep unprefixed addresses, the others live under /<code>/.
LANGUAGES = [
    tuple(item.split(":", 1))
    for item in env_list("NEWSROOM_LANGUAGES", ["en:English", "ru:Russian"])
]
NEWSROOM_LANGUAGE = os.environ.get("NEWSROOM_LANGUAGE", "en")
# Django's own default language is the site's: the admin's words, and what is active outside a
# request (management commands, tasks).
LANGUAGE_CODE = NEWSROOM_LANGUAGE
NEWSROOM_ARTICLES_PER_PAGE = 12

# The content API (explainers.api): read-only JSON, keys made by editors in the admin.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # one answer per URL
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": ["explainers.api.access.KeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": ["explainers.api.access.KeyRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "URL_FORMAT_OVERRIDE": None,
    # The proxies in front of the app servers that add X-Forwarded-For (the edge: 1, as `make
    # serve` runs it): rate limits count by the address they saw. 0 trusts no such header.
    "NUM_PROXIES": int(os.environ.get("NEWSROOM_PROXIES", "0")),
    "DEFAULT_VERSIONING_CLASS": None,
}
# Anonymous callers, per address (a key has its own rate, set in the admin). Answers served from
# the page cache or the edge cost nothing and are not counted.
NEWSROOM_API_ANONYMOUS_RATE = os.environ.get("NEWSROOM_API_ANONYMOUS_RATE", "60/min")
SPECTACULAR_SETTINGS = {
    "TITLE": f"{NEWSROOM_SITE_NAME} content API",
    "DESCRIPTION": "Published explainers as data: each question in order, every quote with its "
    "speaker, role and source, every citation. Anonymous callers read what readers read; send "
    "a partner key as `Authorization: Bearer <key>` for its own rate limit. Versioned: a "
    "change that breaks a client comes as /api/v2/.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SourceKind": ["agency", "report", "statement", "publication", "other"],
        "NoteKind": ["correction", "update", "clarification"],
        "ArticleStatus": ["draft", "review", "published", "unpublished"],
    },
}
# Browsers on these origins may read the API (GET only): NEWSROOM_API_CORS_ORIGINS, e.g.
# "https://app.example.org,https://partner.example.com".
CORS_ALLOWED_ORIGINS = env_list("NEWSROOM_API_CORS_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_ALLOW_HEADERS = ("authorization", "if-none-match", "if-modified-since")
CORS_EXPOSE_HEADERS = ("ETag", "Last-Modified", "Retry-After")
CORS_PREFLIGHT_MAX_AGE = 86400

# The admin's rich-text editor: django-prose-editor's core with the newsroom's toolbar, which
# offers exactly the formatting explainers/richtext.py keeps.
DJANGO_PROSE_EDITOR_PRESETS = {
    "newsroom": [Script("admin/newsroom-editor.js", type="module")],
}

# Photo uploads: refused above these sizes, before any decoding.
PHOTO_MAX_UPLOAD_BYTES = int(os.environ.get("PHOTO_MAX_UPLOAD_BYTES", 25 * 1000 * 1000))
PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", 50 * 1000 * 1000))

# Security headers. Content Security Policy (django-csp): nothing inline, nothing from elsewhere.
# The one exception is a script carrying the response's nonce: the rich-text editor's import map
# on admin article pages. The nonce is only sent by responses that render one.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "interest-cohort": [],
}
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    # Production sits behind TLS. `make serve` turns these off to run over plain HTTP on
    # 127.0.0.1; `manage.py check --deploy` with the defaults reports nothing.
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # The edge's health probe speaks plain HTTP to the origin (deploy/varnish/newsroom.vcl).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 365 * 24 * 60 * 60))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    if env_bool("DJANGO_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One line per request (newsroom.middleware.RequestLogMiddleware), as JSON, on standard output.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "newsroom.logging.JsonFormatter"}},
    # A database outage is logged once by newsroom.outage, not as a traceback per request.
    "filters": {"not_an_outage": {"()": "newsroom.outage.OutageLogFilter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "json"},
        "errors": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["not_an_outage"],
        },
    },
    "loggers": {
        "django.request": {"handlers": ["errors"], "level": "ERROR", "propagate": False},
        "newsroom.outage": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
        "newsroom.requests": {
            "handlers": ["stdout"],
            "level": os.environ.get("NEWSROOM_REQUEST_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        "newsroom.cache": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
    },
}

"""
What readers, editors and monitors get while the database cannot be reached.

Pages in the page cache are answered before anything asks the database (explainers.pagecache),
so they are still served. Everything else that fails because the database is unreachable —
refused, timed out, restarting, shut down, read-only — answers **503** with `Retry-After`
rather than 500: readers the site's "temporarily unavailable" page (templates/503.html), the
admin a plain message, the content API a JSON one. A 500 stays what it means: the software is
broken. `handler500` (newsroom/urls.py) decides, so an outage met anywhere — a view, a template,
a middleware's session or user lookup — is answered the same way.

An outage is logged once, when a worker first meets it, and once more when the database is
back (the next connection made: Django reconnects on the next request, no restart), with how
many requests were answered 503 — not a traceback per request.
"""

import logging
import sqlite3
import sys
import time

from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger("newsroom.outage")

RETRY_AFTER = 5  # seconds

# PostgreSQL's SQLSTATEs of a database that cannot serve now: connection exceptions (08…),
# shutting down or starting up (57P01–57P03), too many connections, a read-only transaction
# (a standby, or default_transaction_read_only during maintenance), a cancelled statement.
OUTAGE_STATES = {"57P01", "57P02", "57P03", "53300", "25006", "57014"}
# SQLite's: busy or locked past the timeout, the file unreadable or read-only, the disk full.
SQLITE_OUTAGES = {
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_READONLY",
    "SQLITE_FULL",
}


class Outage:
    since = None  # when this process first met it (time.monotonic())
    answered = 0  # requests answered 503 since


def is_outage(error):
    """Whether `error` says the database cannot serve now, rather than that a query is wrong."""
    if not isinstance(error, DatabaseError):
        return False
    if isinstance(error, InterfaceError):
        return True
    cause = error.__cause__
    state = getattr(cause, "sqlstate", None)
    if state:
        return state.startswith("08") or state in OUTAGE_STATES
    if isinstance(cause, sqlite3.Error):
        # SQLITE_BUSY_SNAPSHOT is a kind of SQLITE_BUSY.
        name = getattr(cause, "sqlite_errorname", "") or ""
        return "_".join(name.split("_")[:2]) in SQLITE_OUTAGES
    # psycopg's connection failures carry no SQLSTATE: refused, timed out, host unknown.
    return isinstance(error, OperationalError) and cause is not None


def outage_met(error):
    if Outage.since is None:
        Outage.since = time.monotonic()
        Outage.answered = 0
        logger.error(
            "The database is unreachable (%s): answering 503 to what is not cached until it "
            "is back.",
            str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
        )
    Outage.answered += 1


@receiver(connection_created)
def database_back(sender, connection, **kwargs):
    if Outage.since is not None:
        logger.warning(
            "The database is back after %.1f s; %d requests were answered 503 meanwhile.",
            time.monotonic() - Outage.since,
            Outage.answered,
        )
        Outage.since = None


def unavailable(request):
    """The 503 of an outage, in the form the address's users read."""
    path = request.path
    message = "The newsroom's database is unavailable for a moment. Please try again shortly."
    if path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    elif path.startswith("/admin/") or path == "/healthz":
        response = HttpResponse(
            message + " Nothing you sent was saved.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    else:
        # Rendered without the request context: nothing in it may ask the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, *args, **kwargs):
    """handler500: a database outage is a 503 (see the module's docstring); anything else is
    Django's own 500 page."""
    error = sys.exc_info()[1]
    if is_outage(error):
        outage_met(error)
        return unavailable(request)
    return defaults.server_error(request, *args, **kwargs)


class OutageLogFilter(logging.Filter):
    """Keeps django.request's traceback of each 503 of an outage out of the log: the outage is
    logged once (outage_met), not once per request."""

    def filter(self, record):
        error = record.exc_info[1] if record.exc_info else None
        return not is_outage(error)

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger("newsroom.requests")


@never_cache
def healthz(request):
    """200 when the database and the cache both answer, 503 (saying which failed) otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as error:  # any failure is the answer, not a crash
        logger.error("health check: database failed: %s", error)
        checks["database"] = "failing"
    # A cache that ignores its faults (django-redis IGNORE_EXCEPTIONS) answers "miss" instead of
    # raising, so write a fresh value and read it back.
    token = uuid.uuid4().hex
    try:
        cache.set("healthz", token, 30)
        checks["cache"] = "ok" if cache.get("healthz") == token else "failing"
    except Exception as error:
        logger.error("health check: cache failed: %s", error)
        checks["cache"] = "failing"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", **checks}, status=200 if healthy else 503
    )

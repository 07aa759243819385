import logging
import time

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger("newsroom.requests")


class RequestLogMiddleware:
    """One structured log line per request: method, path, status and duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "cache": response.get("X-Cache", ""),
            },
        )
        return response


# Response attributes through which a view changes its policy (django-csp's decorators).
CSP_OVERRIDES = tuple(
    f"_csp_{kind}{suffix}"
    for kind in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the policy of an ordinary response (no nonce, no
    per-view change) built once instead of on every response: building it was a quarter of a
    cached page's cost. Anything else is django-csp's own path."""

    policies = {}

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in CSP_OVERRIDES
        ):
            return super().process_response(request, response)
        if not self.policies:
            for header, report_only in ((HEADER, False), (HEADER_REPORT_ONLY, True)):
                setting = "CONTENT_SECURITY_POLICY" + ("_REPORT_ONLY" if report_only else "")
                if (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES"):
                    self.policies[header] = None  # per address: django-csp's own path
                else:
                    self.policies[header] = build_policy(report_only=report_only)
        if None in self.policies.values() or (
            response.status_code in (500, 404) and settings.DEBUG
        ):
            return super().process_response(request, response)
        for header, policy in self.policies.items():
            if policy and header not in response:
                response[header] = policy
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@receiver(setting_changed)
def forget_the_policy(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        CSPMiddleware.policies.clear()

"""Who calls the API and how often: keys (explainers.models.ApiKey) sent as
`Authorization: Bearer <key>`, and a rate limit per key, or per address for anonymous callers.

What a caller may read is the site's rule (explainers.workflow.readable): a partner key and an
anonymous caller read what readers read; a staff member's key what that person may open."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, throttling

from ..models import ApiKey

# A key's last use is written at most this often, not on every request.
LAST_USED_EVERY = timedelta(minutes=5)


class KeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].decode("latin-1").lower() != self.keyword.lower() or len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        try:
            key = ApiKey.from_key(header[1].decode("ascii"))
        except UnicodeDecodeError:
            key = None
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return (key.user or AnonymousUser(), key)

    def authenticate_header(self, request):
        return self.keyword


class KeyRateThrottle(throttling.SimpleRateThrottle):
    """A key's own requests per minute; anonymous callers NEWSROOM_API_ANONYMOUS_RATE per
    address. Over it: 429 with Retry-After (REST framework's answer to a throttle)."""

    scope = "api"

    def __init__(self):
        pass  # the rate depends on the caller: set in allow_request

    def allow_request(self, request, view):
        key = request.auth if isinstance(request.auth, ApiKey) else None
        if key is not None:
            self.rate = f"{key.requests_per_minute}/min"
        else:
            self.rate = settings.NEWSROOM_API_ANONYMOUS_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            return f"throttle:api:key:{request.auth.pk}"
        return f"throttle:api:anonymous:{self.get_ident(request)}"


class KeyScheme(OpenApiAuthenticationExtension):
    """The schema's name for KeyAuthentication: an HTTP bearer token."""

    target_class = KeyAuthentication
    name = "partnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A key made by an editor in the admin (API keys). Optional: without "
            "one, the anonymous rate limit applies.",
        }

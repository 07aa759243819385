"""The site's URLs plus the framework's floor that bench/serve.py compares pages with."""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    """A constant response through the same middleware: what Django costs before any page."""
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [
    path("bench/hello/", hello),
    path("", include("newsroom.urls")),
]

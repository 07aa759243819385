"""The site's URLs plus the framework's floors that bench/serve.py and bench/edge.py compare
pages with."""

import json
import os
from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.urls import include, path

PAGE = "/bench/page/"


def hello(request):
    """A constant response through the same middleware: what Django costs before any page."""
    return HttpResponse("hello", content_type="text/plain")


@cache
def page_bytes():
    """The bytes and headers of a page bench/serve.py saved (write_page) to BENCH_PAGE."""
    saved = Path(os.environ["BENCH_PAGE"])
    return saved.read_bytes(), json.loads(saved.with_suffix(".headers.json").read_text())


def page(request):
    """A cached page's exact bytes and headers, sent by Django with nothing else to do: what
    sending that page costs the framework and the server, the floor of any cache inside them."""
    content, headers = page_bytes()
    return HttpResponse(content, headers=headers)


urlpatterns = [
    path("bench/hello/", hello),
    path("bench/page/", page),
    path("", include("newsroom.urls")),
]

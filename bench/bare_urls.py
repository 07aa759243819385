"""Only the floors (bench/urls.py), for bench/bare_settings.py."""

from django.urls import path

from bench.urls import hello, page

urlpatterns = [path("bench/hello/", hello), path("bench/page/", page)]

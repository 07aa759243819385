"""Only the "hello" view (bench/urls.py), for bench/bare_settings.py."""

from django.urls import path

from bench.urls import hello

urlpatterns = [path("bench/hello/", hello)]

from django.conf import settings
from django.contrib import admin
from django.http import Http404
from django.urls import include, path, re_path
from django.views.static import serve

from .views import healthz


def serve_media(request, path):
    """Uploaded files, for development and tests only; production serves them from storage."""
    if not (settings.DEBUG or settings.NEWSROOM_SERVE_MEDIA):
        raise Http404("Media files are not served by the application here.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# A database outage answers 503, anything else Django's 500 (newsroom.outage).
handler500 = "newsroom.outage.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("explainers.api.urls")),
    re_path(r"^media/(?P<path>.*)$", serve_media),
    path("", include("explainers.urls")),
]

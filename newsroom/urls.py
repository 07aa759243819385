from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = f"{settings.NEWSROOM_SITE_NAME} admin"
admin.site.site_title = settings.NEWSROOM_SITE_NAME

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("explainers.urls")),
]

if settings.DEBUG:
    # Development only; production serves media from its storage.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

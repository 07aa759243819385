"""
The newsroom's admin site: Django's, with the desk on its home page.
"""

from django.conf import settings
from django.contrib import admin


class NewsroomAdminSite(admin.AdminSite):
    index_template = "admin/desk.html"

    @property
    def site_header(self):
        return f"{settings.NEWSROOM_SITE_NAME} admin"

    @property
    def site_title(self):
        return settings.NEWSROOM_SITE_NAME

    def index(self, request, extra_context=None):
        """The home page: the newsroom's desk (see ArticleAdmin.desk), then the apps."""
        from explainers.models import Article

        article_admin = self._registry.get(Article)
        desk = article_admin.desk(request) if article_admin else None
        return super().index(request, {"desk": desk, **(extra_context or {})})

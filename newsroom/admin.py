"""
The newsroom's admin site: Django's, with the desk on its home page, and a "view on site"
shortcut that asks the workflow before it tells anyone where an object is.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404
from django.urls import path


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

    def get_app_list(self, request, app_label=None):
        # Built once per request: the home page asks for it twice (its own list and the nav
        # sidebar's), and each build asks every model admin for its permissions and reverses
        # its addresses.
        built = request.__dict__.setdefault("newsroom_app_lists", {})
        if app_label not in built:
            built[app_label] = super().get_app_list(request, app_label)
        return built[app_label]

    def get_urls(self):
        # Django's shortcut redirects any staff member to any object's address: for an
        # unpublished article, its question anchors or its scheduled slug, that names it.
        urls = [u for u in super().get_urls() if getattr(u, "name", None) != "view_on_site"]
        view = self.admin_view(self.view_on_site)
        return [
            path("r/<int:content_type_id>/<path:object_id>/", view, name="view_on_site"),
            *urls,
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """The object's page on the site, for those who may open it there."""
        from explainers import workflow
        from explainers.models import Article

        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            obj = model._default_manager.get(pk=object_id)
        except (ContentType.DoesNotExist, AttributeError, ValueError, model.DoesNotExist):
            raise Http404("No such object.") from None
        article = obj if isinstance(obj, Article) else getattr(obj, "article", None)
        if isinstance(article, Article) and not workflow.can_view(request.user, article):
            raise Http404("No such object.")
        return shortcut(request, content_type_id, object_id)

from django.contrib.admin.apps import AdminConfig
from taggit.apps import TaggitAppConfig


class NewsroomAdminConfig(AdminConfig):
    """django.contrib.admin, with the newsroom's site as `admin.site`."""

    default_site = "newsroom.admin.NewsroomAdminSite"


class TagsConfig(TaggitAppConfig):
    """django-taggit, named "Tags" on the admin's index and breadcrumbs (its own name is
    "Taggit"). Only the label changes: the app, its tables and migrations stay taggit's."""

    verbose_name = "Tags"

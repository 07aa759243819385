from django.urls import path

from . import views

app_name = "explainers"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:year>/<int:month>/<int:day>/<slug:slug>/", views.article_detail, name="article"),
    path("preview/<int:pk>/", views.article_preview, name="preview"),
    path("shared/<str:token>/", views.shared_article, name="shared"),
    path("authors/<slug:slug>/", views.author_detail, name="author"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag"),
]

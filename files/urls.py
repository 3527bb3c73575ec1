"""Files API routes (mounted under /api/), plus the OpenAPI schema and offline docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import apis

app_name = "files"

urlpatterns = [
    path("files", apis.FileListCreateApi.as_view(), name="list"),
    path("files/<str:file_id>", apis.FileDetailApi.as_view(), name="detail"),
    path("files/<str:file_id>/download", apis.FileDownloadApi.as_view(), name="download"),
    path("users/<str:email>/files/stats", apis.UserFileStatsApi.as_view(), name="stats"),
    path("health", apis.HealthApi.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="files:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="files:schema"), name="redoc"),
]

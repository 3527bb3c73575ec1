"""Files API routes (mounted under /api/), plus the OpenAPI schema and offline docs.

Swagger UI's assets come from drf-spectacular-sidecar (/static/), so /api/docs/
works without internet. (Redoc is not mounted: its template loads Google Fonts.)
The docs page runs under the site's CSP: SpectacularSwaggerSplitView serves Swagger UI's
launcher as ``/api/docs/?script`` (a script URL, not inline), and
``templates/files/api_docs.html`` moves the page styles into ``static/css/api_docs.css``.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import apis
from .documents import apis as document_apis

app_name = "files"

urlpatterns = [
    path("files", apis.FileListCreateApi.as_view(), name="list"),
    path("files/<str:file_id>", apis.FileDetailApi.as_view(), name="detail"),
    path("files/<str:file_id>/text", document_apis.FileTextApi.as_view(), name="text"),
    path("search", document_apis.SearchApi.as_view(), name="search"),
    path("files/<str:file_id>/download", apis.FileDownloadApi.as_view(), name="download"),
    path("users/<str:email>/files/stats", apis.UserFileStatsApi.as_view(), name="stats"),
    path("health", apis.HealthApi.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="files:schema", template_name="files/api_docs.html"
        ),
        name="docs",
    ),
]

"""Tools API routes (mounted under /api/)."""

from django.urls import path

from . import apis

app_name = "tools"

urlpatterns = [
    path("tools", apis.ToolListApi.as_view(), name="list"),
    path("tools/<str:name>/run", apis.ToolRunApi.as_view(), name="run"),
    path("tools/<str:name>/files", apis.ToolFilesApi.as_view(), name="files"),
    path("tools/<str:name>/columns", apis.ToolColumnsApi.as_view(), name="columns"),
]

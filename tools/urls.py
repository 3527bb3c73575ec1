"""Tools API routes (mounted under /api/)."""

from django.urls import path

from . import apis

app_name = "tools"

urlpatterns = [
    path("tools", apis.ToolListApi.as_view(), name="list"),
    path("tools/<str:name>/run", apis.ToolRunApi.as_view(), name="run"),
]

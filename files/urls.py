"""Files API routes, mounted under /api/ (the schema, docs and health are chatui's)."""

from django.urls import path

from .api import files as apis
from .api import versions as version_apis
from .api.tags import FileTagListApi
from .api.zip_download import FileZipApi
from .documents import apis as document_apis
from .sharing import apis as sharing_apis

app_name = "files"

urlpatterns = [
    path("files", apis.FileListCreateApi.as_view(), name="list"),
    path("files/zip", FileZipApi.as_view(), name="zip"),
    path("files/tags", FileTagListApi.as_view(), name="tags"),
    path("files/<str:file_id>", apis.FileDetailApi.as_view(), name="detail"),
    path("files/<str:file_id>/text", document_apis.FileTextApi.as_view(), name="text"),
    path("search", document_apis.SearchApi.as_view(), name="search"),
    path("files/<str:file_id>/download", apis.FileDownloadApi.as_view(), name="download"),
    path("files/<str:file_id>/versions", version_apis.FileVersionsApi.as_view(), name="versions"),
    path(
        "files/<str:file_id>/versions/<str:number>/restore",
        version_apis.FileVersionRestoreApi.as_view(),
        name="version-restore",
    ),
    path("files/<str:file_id>/diff", version_apis.FileDiffApi.as_view(), name="diff"),
    path("files/<str:file_id>/restore", version_apis.FileRestoreApi.as_view(), name="restore"),
    path("trash", version_apis.TrashApi.as_view(), name="trash"),
    path("files/<str:file_id>/links", sharing_apis.FileLinksApi.as_view(), name="file-links"),
    path("files/<str:file_id>/shares", sharing_apis.FileSharesApi.as_view(), name="file-shares"),
    path("tags/<str:tag>/shares", sharing_apis.TagSharesApi.as_view(), name="tag-shares"),
    path("links", sharing_apis.LinkListApi.as_view(), name="links"),
    path("links/<str:link_id>", sharing_apis.LinkDetailApi.as_view(), name="link"),
    path("shares", sharing_apis.ShareListApi.as_view(), name="shares"),
    path("shares/<str:share_id>", sharing_apis.ShareDetailApi.as_view(), name="share"),
    path("users/<str:email>/files/stats", apis.UserFileStatsApi.as_view(), name="stats"),
]

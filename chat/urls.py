"""Chat history API routes (mounted under /api/)."""

from django.urls import path

from . import apis
from .file_usage import FileChatsApi

app_name = "chat"

urlpatterns = [
    path("chats", apis.ChatListCreateApi.as_view(), name="list"),
    path("chats/<str:session_id>", apis.ChatDetailApi.as_view(), name="detail"),
    path("chats/<str:session_id>/files", apis.ChatFilesApi.as_view(), name="files"),
    path(
        "chats/<str:session_id>/delete-preview",
        apis.ChatDeletePreviewApi.as_view(),
        name="delete-preview",
    ),
    path("files/<str:file_id>/chats", FileChatsApi.as_view(), name="file-chats"),
]

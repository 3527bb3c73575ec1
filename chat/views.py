"""The chat page: the user's chats listed server-side; the conversation itself runs
over the websocket (static/js/chat.js)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from chat.selectors import session_list_for_user
from chat.services import MESSAGE_MAX_CHARS

SESSIONS_SHOWN = 200


@require_safe  # a page: GET and HEAD only, anything else 405
@login_required
def chat_page(request: HttpRequest) -> HttpResponse:
    sessions = session_list_for_user(user=request.user)[:SESSIONS_SHOWN]
    config = {
        "email": request.user.email,
        "maxUploadBytes": settings.FILES_MAX_UPLOAD_MB * 1024 * 1024,
        "maxMessageChars": MESSAGE_MAX_CHARS,
    }
    return render(request, "chat/chat.html", {"sessions": sessions, "config": config})

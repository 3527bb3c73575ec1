"""Websocket URL patterns of every app, gathered in one list for chatui.asgi."""

websocket_urlpatterns: list = []

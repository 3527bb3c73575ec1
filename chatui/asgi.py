"""ASGI entry point: HTTP through Django, websockets through Channels.

HTTP goes through Django's ASGI handler with these changes:

* ``POST /api/files`` multipart bodies reach the view unread, so uploads stream to
  S3 and an oversized one is refused before it is received (files/asgi_upload.py);
* each request's sync work runs on a long-lived thread lent for the request, so
  database connections outlive it (chatui/request_threads.py);
* a body whose declared ``Content-Length`` is over every limit is refused (413)
  before it is read (chatui/body_limits.py).

Websockets are authenticated by the Django session cookie and only accepted
from this site's own origins, compared as CSRF compares them (chatui/ws_origin.py).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatui.settings")
django.setup(set_prefix=False)  # as get_asgi_application() does, before importing consumers

from chatui.request_threads import RequestThreads  # noqa: E402
from files.asgi_upload import StreamingUploadASGIHandler  # noqa: E402

request_threads = RequestThreads()


class ChatuiASGIHandler(StreamingUploadASGIHandler):
    """Django's handler with streamed uploads, on long-lived request threads."""

    threads = request_threads

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        async with self.threads.lend():
            await super().__call__(scope, receive, send)


django_asgi_app = ChatuiASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chatui.body_limits import DeclaredSizeLimit  # noqa: E402
from chatui.routing import websocket_urlpatterns  # noqa: E402
from chatui.ws_origin import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": DeclaredSizeLimit(django_asgi_app),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

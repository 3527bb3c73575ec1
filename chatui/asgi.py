"""ASGI entry point: HTTP through Django, websockets through Channels.

HTTP goes through Django's ASGI handler with one change: ``POST /api/files``
multipart bodies reach the view unread, so uploads stream to S3 and an oversized
one is refused before it is received (files/asgi_upload.py).

Websockets are authenticated by the Django session cookie and only accepted
from this site's own origins (AllowedHostsOriginValidator).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatui.settings")
django.setup(set_prefix=False)  # as get_asgi_application() does, before importing consumers

from files.asgi_upload import StreamingUploadASGIHandler  # noqa: E402

django_asgi_app = StreamingUploadASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from chatui.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

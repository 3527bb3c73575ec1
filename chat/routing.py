"""The chat websocket's URL, gathered by chatui.routing.

Importing it is the websocket server starting up (``chatui.asgi``), so the tools are
loaded here, once per process, before the first socket: importing them (matplotlib
and the like) takes a second or more of CPU with the GIL held, which a server already
taking traffic would feel as a stall of every chat.
"""

from django.urls import path

from chat.consumers import ChatConsumer
from chat.tooling import tool_specs_list

tool_specs_list()

websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
]

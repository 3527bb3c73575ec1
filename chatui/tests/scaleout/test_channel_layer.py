"""The Redis channel layer as configured: a socket that has been idle longer than the
layer's blocking read still gets its next message.

channels_redis waits for a message with a server-side blocking pop of
``brpop_timeout`` seconds; a client socket timeout at or below that makes an idle
receive fail instead (redis-py 8's default did exactly that). Settings give the layer's
connections a longer timeout: these tests fail if either library moves underneath it.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_layers_sockets_outwait_its_blocking_read() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    pool = layer.create_pool(0)
    assert pool.connection_kwargs["socket_timeout"] > RedisChannelLayer.brpop_timeout


@pytest.mark.anyio
async def test_a_receive_idle_past_the_blocking_read_gets_the_next_message() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    receiving = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(RedisChannelLayer.brpop_timeout + 2)
    assert not receiving.done(), receiving.exception()  # still waiting, not failed
    await layer.send(channel, {"type": "chat.frame", "frame": {"n": 1}})
    message = await asyncio.wait_for(receiving, 5)
    assert message["frame"] == {"n": 1}

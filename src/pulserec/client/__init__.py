"""The Python client of the pulserec API: :class:`Client` (blocking) and :class:`AsyncClient`
(asyncio), both over httpx, with typed answers (:mod:`.types`). See docs/client.md."""

from pulserec.client.asyncio import AsyncClient
from pulserec.client.sync import Client
from pulserec.client.transport import PulserecError

__all__ = ["AsyncClient", "Client", "PulserecError"]

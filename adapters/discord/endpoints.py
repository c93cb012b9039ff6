"""Where discord.py connects: the REST base URL and the gateway URL.

discord.py builds every REST URL (bot calls and interaction webhooks alike)
from the class attribute ``discord.http.Route.BASE``; a plain client opens
the gateway at ``DiscordWebSocket.DEFAULT_GATEWAY`` and an auto-sharded one
asks ``GET /gateway/bot``. Both are process-wide, so they are set here, in
one place, from ``settings.discord.api_url`` / ``gateway_url``
(``SATPREP_DISCORD_API_URL``, ``SATPREP_DISCORD_GATEWAY_URL``): a proxy, or
the local fake Discord of the end-to-end tests.
"""

from __future__ import annotations

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = str(DiscordWebSocket.DEFAULT_GATEWAY)


def use_endpoints(api_url: str = DEFAULT_API_URL, gateway_url: str = "") -> None:
    """Point discord.py at ``api_url`` and ``gateway_url`` (empty: Discord's own)."""
    Route.BASE = (api_url or DEFAULT_API_URL).rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url or DEFAULT_GATEWAY_URL)


def reset_endpoints() -> None:
    """Back to discord.com (tests call this when they are done)."""
    use_endpoints()

"""Artwork URLs a source may store and a page may show: https on an allowed image host, nothing else.

    hosts = artwork_hosts(settings.ARTWORK_HOSTS)          # ("i.scdn.co",) by default: Spotify's image CDN
    safe_image_url("https://i.scdn.co/image/ab67...", hosts)  # the URL
    safe_image_url("http://evil.example/x.png", hosts)        # None
    pick_image(album["images"], hosts)                      # the allowed image nearest 300 px, or None

The dashboard's Content-Security-Policy allows exactly these hosts in `img-src`, so a URL from elsewhere
neither reaches the database nor loads in a page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

DEFAULT_HOSTS = ("i.scdn.co",)  # Spotify's image CDN
MEDIUM_PX = 300
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")
_UNSAFE = re.compile(r"[\s\"'<>\\`]")


def artwork_hosts(value: str) -> tuple[str, ...]:
    """The comma-separated ARTWORK_HOSTS as host names; raises ValueError on anything that is not one."""
    hosts = tuple(h.strip().lower() for h in value.split(",") if h.strip())
    bad = [h for h in hosts if not _HOST.fullmatch(h)]
    if bad:
        raise ValueError(f"ARTWORK_HOSTS: not a host name: {', '.join(bad)}")
    return hosts


def safe_image_url(url: object, hosts: tuple[str, ...]) -> str | None:
    """`url` when it is https on one of `hosts` (no credentials, no port, no odd characters), else None."""
    if not isinstance(url, str) or len(url) > 500 or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or parts.username or parts.password or port is not None:
        return None
    return url if parts.hostname in hosts else None


def pick_image(images: Any, hosts: tuple[str, ...], size: int = MEDIUM_PX) -> str | None:
    """From a Spotify `images` list ([{url, height, width}]), the allowed URL whose height is nearest `size`."""
    allowed = [i for i in images or [] if isinstance(i, dict) and safe_image_url(i.get("url"), hosts)]
    if not allowed:
        return None

    def distance(image: dict[str, Any]) -> float:
        height = image.get("height") or image.get("width")
        return abs(float(height) - size) if isinstance(height, int | float) else float("inf")

    return str(min(allowed, key=distance)["url"])

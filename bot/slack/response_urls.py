"""Which response URLs the bot answers through: Slack's own hooks, never anything a payload names.

A click's or a command's ``response_url`` is only a string in the payload; a forged or mangled one
(``file:///etc/passwd``, an internal address) must not make the bot send anything there. Allowed:
``https://hooks.slack.com/…`` and ``https://hooks.slack-gov.com/…``, and the origin of
``SLACK_API_URL`` (a GovSlack or test stand-in that serves its own response URLs).
"""

from __future__ import annotations

from urllib.parse import urlsplit

SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:  # a malformed port, say
        return None


class ResponseUrls:
    def __init__(self, api_url: str) -> None:
        self._api_origin = _origin(api_url)

    def allows(self, url: str) -> bool:
        """True for Slack's hooks over HTTPS and for the Web API's own origin."""
        origin = _origin(url)
        if origin is None:
            return False
        scheme, host, _ = origin
        if scheme == "https" and host in SLACK_HOOK_HOSTS:
            return True
        return origin == self._api_origin and scheme in ("http", "https")

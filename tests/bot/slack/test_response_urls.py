"""Only Slack's own response URLs are ever answered through."""

from __future__ import annotations

import pytest

from bot.slack.response_urls import ResponseUrls

URLS = ResponseUrls("http://127.0.0.1:8123/api/")


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/actions/T0001/5678/efghIJK",
        "https://hooks.slack-gov.com/commands/T1/2/x",
        "http://127.0.0.1:8123/response/abc",
    ],
)
def test_slack_hooks_and_the_api_origin_are_allowed(url: str) -> None:
    """Slack's hooks over HTTPS, and the origin SLACK_API_URL names, are answered through."""
    assert URLS.allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://hooks.slack.com/actions/T0001/5678/x",
        "https://hooks.slack.com.evil.example/actions/x",
        "https://evil.example/hooks.slack.com",
        "http://127.0.0.1:8124/response/abc",
        "http://169.254.169.254/latest/meta-data/",
        "https://hooks.slack.com:notaport/x",
        "",
        "javascript:alert(1)",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    """Any other scheme, host or port is refused, whatever the payload says."""
    assert not URLS.allows(url)

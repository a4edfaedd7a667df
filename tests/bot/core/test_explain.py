"""Tests for the plain-language explanations of Huawei Cloud errors."""

from __future__ import annotations

import pytest

from bot.bms.errors import (
    CloudAuthError,
    CloudError,
    CloudNotFound,
    CloudRejected,
    CloudThrottled,
    CloudUnavailable,
)
from bot.core.explain import advice_for_cloud_error, explain

DOCUMENTED = [
    "BMS.0001",
    "BMS.0018",
    "BMS.0022",
    "BMS.0004",
    "BMS.0005",
    "BMS.0033",
    "BMS.0288",
    "BMS.0035",
    "BMS.0036",
    "BMS.0037",
    "BMS.0039",
    "BMS.0040",
    "BMS.0205",
    "BMS.0212",
    "Common.0018",
    "APIGW.0101",
    "APIGW.0301",
    "APIGW.0302",
    "APIGW.0308",
]


@pytest.mark.parametrize("code", DOCUMENTED)
def test_every_documented_code_is_explained(code):
    """Each code from the API reference has a sentence and something to do."""
    text = explain(code)
    assert text
    assert text.count(".") >= 2
    assert "<" not in text


@pytest.mark.parametrize("code", [None, "", "BMS.9999", "nonsense"])
def test_unknown_codes_have_no_explanation(code):
    """Unknown or missing codes give None, so callers can show Huawei's own message."""
    assert explain(code) is None


def test_lookup_ignores_case_and_spaces():
    """Codes match whatever their case or surrounding whitespace."""
    assert explain(" common.0018 ") == explain("Common.0018")
    assert explain("bms.0039") == explain("BMS.0039")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("BMS.0039", "already stopped"),
        ("BMS.0036", "powering off"),
        ("BMS.0035", "powering on"),
        ("BMS.0037", "rebooting"),
        ("BMS.0040", "does not exist"),
        ("BMS.0212", "try again"),
        ("APIGW.0308", "throttling"),
        ("BMS.0004", "bms:servers:stop"),
    ],
)
def test_explanations_say_the_right_thing(code, words):
    """Each explanation names the situation in plain words."""
    assert words in (explain(code) or "")


def test_permission_codes_share_one_explanation():
    """The four no-permission codes read the same, so reports can group them."""
    assert len({explain(c) for c in ("BMS.0004", "BMS.0005", "BMS.0033", "BMS.0288")}) == 1


def test_auth_error_names_the_checks():
    """Rejected credentials point at `bms-bot check`, the env vars and the clock."""
    advice = advice_for_cloud_error(CloudAuthError("bad sig", code="APIGW.0301"))
    assert advice.startswith("Huawei Cloud rejected the credentials")
    for needle in ("bms-bot check", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "PROJECT_ID", "15"):
        assert needle in advice


def test_throttled_says_wait_and_uses_retry_after():
    """Throttling says to wait, for the time Huawei gave when it gave one."""
    assert "Wait 30 seconds" in advice_for_cloud_error(CloudThrottled("slow", retry_after=30))
    assert "Wait a minute" in advice_for_cloud_error(CloudThrottled("slow"))


def test_maybe_sent_stop_says_it_may_have_happened():
    """An unanswered stop call says the stop may or may not have been accepted."""
    advice = advice_for_cloud_error(CloudUnavailable("timeout", maybe_sent=True), stopping=True)
    assert "may or may not have been accepted" in advice
    assert "/bms stop" in advice
    assert "already stopping are skipped" in advice


def test_unavailable_outside_a_stop_is_transient():
    """Unavailable on a read says it may be transient and to check later."""
    advice = advice_for_cloud_error(CloudUnavailable("503", http_status=503))
    assert "transient" in advice
    assert "may or may not" not in advice


def test_unsent_stop_is_not_called_uncertain():
    """A stop that never left (maybe_sent False) is not reported as maybe accepted."""
    advice = advice_for_cloud_error(CloudUnavailable("refused", maybe_sent=False), stopping=True)
    assert "may or may not" not in advice


def test_known_code_wins_for_rejections():
    """A rejection with a documented code gets that code's explanation."""
    err = CloudRejected("already", code="BMS.0039", http_status=400)
    assert advice_for_cloud_error(err) == explain("BMS.0039")


@pytest.mark.parametrize(
    "err",
    [
        CloudNotFound("gone", http_status=404),
        CloudRejected("no", code="BMS.4242"),
        CloudError("odd"),
    ],
)
def test_every_error_gets_some_advice(err):
    """Even unknown codes and the base class get a non-empty sentence."""
    assert advice_for_cloud_error(err).endswith(".")


def test_a_short_throttle_is_never_called_zero_seconds():
    """A Retry-After under a second is waited as one second, not "0 seconds"."""
    advice = advice_for_cloud_error(CloudThrottled("slow", retry_after=0.4))
    assert "Wait 1 second " in advice

"""Posting at Slack's pace: a burst per channel, then one a second, channels apart."""

from __future__ import annotations

from bot.slack.pacer import ChannelPacer
from tests.support.clock import ManualClock


def test_a_burst_then_one_a_second() -> None:
    """Three posts go at once; the next ones wait a second each, in turn."""
    clock = ManualClock(100.0)
    pacer = ChannelPacer(interval=1.0, burst=3, clock=clock)
    waits = [pacer.reserve("C1") for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_the_bucket_refills_with_time_and_channels_are_apart() -> None:
    """After a quiet second a post goes at once again; another channel never waits for this one."""
    clock = ManualClock(100.0)
    pacer = ChannelPacer(interval=1.0, burst=1, clock=clock)
    assert pacer.reserve("C1") == 0.0
    assert pacer.reserve("C2") == 0.0
    assert pacer.reserve("C1") == 1.0
    clock.now += 3
    assert pacer.reserve("C1") == 0.0


def test_no_interval_means_no_pacing() -> None:
    """An interval of 0 never waits (a stand-in that allows anything)."""
    pacer = ChannelPacer(interval=0)
    assert {pacer.reserve("C1") for _ in range(100)} == {0.0}

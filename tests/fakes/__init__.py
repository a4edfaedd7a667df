"""Fakes of external services (Slack Web API, Socket Mode, signed requests) for the test suite."""

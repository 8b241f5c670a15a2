"""AWS clients carry the retry mode and timeouts stated in clients/aws.py, not botocore's defaults."""

from __future__ import annotations

from clients import aws


def test_a_client_states_its_retries_and_timeouts() -> None:
    config = aws.client("s3", "us-east-2").meta.config
    assert config.retries["mode"] == aws.RETRY_MODE
    assert config.retries["total_max_attempts"] == aws.MAX_RETRIES + 1
    assert (config.connect_timeout, config.read_timeout) == (aws.CONNECT_TIMEOUT_SECONDS, aws.READ_TIMEOUT_SECONDS)
    assert config.region_name == "us-east-2"

"""The WAF in front of every distribution."""

from __future__ import annotations

from stack_config.model import FirewallConfig
from stack_config.reader import Reader


def firewall(reader: Reader) -> FirewallConfig:
    mode = reader.choice("wafMode")
    return FirewallConfig(rate_limit=reader.integer("wafRateLimit"), mode="count" if mode == "count" else "block")

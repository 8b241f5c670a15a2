"""What every provider that calls a vendor API shares: a token it gets only when it runs.

An explicit credential in the environment wins over the stack's config (``configure``), so a job
handed a narrower token (drift's read-only ones) runs with it, not with the ESC environment's;
without one, the stack's config is used (docs/secrets.md, "Which credential wins"). The token
never reaches the state, which holds the provider as it was pickled, before it had a token.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pulumi.dynamic import ConfigureRequest, ResourceProvider


class RuntimeTokenProvider(ResourceProvider):
    # Where the token is read from (names, not values).
    token_config_key: ClassVar[str]
    token_environment: ClassVar[str]

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self._api_url = api_url
        self._token: str | None = None

    def configure(self, req: ConfigureRequest) -> None:
        self._token = req.config.get(self.token_config_key) or None

    def __getstate__(self) -> dict[str, Any]:
        # Whatever happens to the instance, its token never reaches a pickle (the state).
        return {**self.__dict__, "_token": None}

    def token(self) -> str:
        return os.environ.get(self.token_environment, "") or self._token or ""

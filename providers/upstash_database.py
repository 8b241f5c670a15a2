"""An Upstash Redis database made by name: a review environment's cache ``newcool-pr-<N>``.

Create adopts a database of the same name (a re-run after a kill makes no second one), else
sends ``POST /redis/database`` once (``JsonApi.create``: after a lost answer it looks the
database up by name, the only marker Upstash keeps). Eviction is on and a monthly budget caps
what it can cost. Read treats 404 as gone; delete calls ``DELETE /redis/database/{id}``.

The account's email and key are read when the provider runs (``UPSTASH_EMAIL`` and
``UPSTASH_API_KEY`` when both are set: an explicit credential wins, as in
providers/runtime_token.py; else the Upstash provider's own config keys ``upstash:email`` and
``upstash:apiKey``), never stored in the state. This module's path is in deployed state: it stays where it is.
"""

from __future__ import annotations

import os
from typing import Any

import pulumi
from pulumi.dynamic import ConfigureRequest, CreateResult, DiffResult, ReadResult, ResourceProvider

from clients.http import ApiError
from clients.upstash import API_URL, UpstashApi

REPLACING = ("database_name", "primary_region", "eviction", "budget")


class UpstashDatabaseProvider(ResourceProvider):
    def __init__(self, api_url: str = API_URL) -> None:
        super().__init__()
        self._api_url = api_url
        self._credentials: tuple[str, str] | None = None

    def configure(self, req: ConfigureRequest) -> None:
        email, key = req.config.get("upstash:email"), req.config.get("upstash:apiKey")
        self._credentials = (email, key) if email and key else None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_credentials": None}

    def api(self) -> UpstashApi:
        # An explicit pair in the environment wins over the stack's config, as for every token
        # (providers/runtime_token.py, docs/secrets.md "Which credential wins").
        explicit = (os.environ.get("UPSTASH_EMAIL", ""), os.environ.get("UPSTASH_API_KEY", ""))
        email, key = explicit if all(explicit) else (self._credentials or ("", ""))
        return UpstashApi(email, key, self._api_url)

    @staticmethod
    def find(api: UpstashApi, name: str) -> dict[str, Any] | None:
        found = next((d for d in api.databases() if d.get("database_name") == name), None)
        return api.database(str(found["database_id"])) if found else None

    @staticmethod
    def _outs(props: dict[str, Any], database: dict[str, Any]) -> dict[str, Any]:
        endpoint = database.get("endpoint")
        return {
            **props,
            "database_id": database.get("database_id"),
            "endpoint": endpoint,
            "rest_url": f"https://{endpoint}" if endpoint else None,
            "rest_token": database.get("rest_token"),
            "creation_time": database.get("creation_time"),
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        name = props["database_name"]
        body = {
            "database_name": name,
            "platform": "aws",
            "primary_region": props["primary_region"],
            "eviction": bool(props["eviction"]),
            "budget": int(props["budget"]),
        }
        try:
            with self.api() as api:
                database = self.find(api, name) or dict(
                    api.create(
                        "POST", "/redis/database", json=body, find_existing=lambda: self.find(api, name), what=name
                    )
                )
        except ApiError as error:
            raise RuntimeError(f"upstash database {name}: {error}") from None
        return CreateResult(id_=str(database["database_id"]), outs=self._outs(props, database))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACING if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(replaces), replaces=replaces, stables=[], delete_before_replace=True)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            with self.api() as api:
                database = api.database(id_)
        except ApiError as error:
            if error.status == 404:
                return ReadResult(id_="", outs={})
            raise RuntimeError(f"upstash database {props.get('database_name')}: {error}") from None
        return ReadResult(id_=id_, outs=self._outs(props, database))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            with self.api() as api:
                api.delete_database(id_, str(props.get("database_name")))
        except ApiError as error:
            if error.status != 404:
                raise RuntimeError(f"upstash database {props.get('database_name')}: {error}") from None


class UpstashDatabase(pulumi.dynamic.Resource, module="upstash", name="Database"):
    database_id: pulumi.Output[str]
    rest_url: pulumi.Output[str]
    rest_token: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        database_name: str,
        primary_region: str,
        budget: int,
        eviction: bool = True,
        api_url: str = API_URL,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props: dict[str, Any] = {
            "database_name": database_name,
            "primary_region": primary_region,
            "budget": budget,
            "eviction": eviction,
            **dict.fromkeys(("database_id", "endpoint", "rest_url", "rest_token", "creation_time")),
        }
        super().__init__(
            UpstashDatabaseProvider(api_url),
            name,
            props,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["rest_token"])),
        )

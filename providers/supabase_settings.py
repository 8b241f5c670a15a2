"""A Supabase project's settings as Pulumi resources, over the Management API.

One resource per settings endpoint: auth (``PATCH /config/auth``), the Data API
(``PATCH /postgrest``), network restrictions (``POST /network-restrictions/apply``), SSL
enforcement (``PUT /ssl-enforcement``) and whether the legacy JWT keys work
(``PUT /api-keys/legacy``); plus a read-only view of backups and PITR. Inputs carry the settings
under the API's own field names and shapes, so the API, the policy pack and an auditor read the
same names.

Semantics, the same for every settings resource:

- create adopts: it reads the live values of the declared fields (kept as the ``adopted``
  output, so the change is visible), then applies the declared ones; except in an adoption
  (``record_only``, from ``adopt.supabaseSettings``): then create records the live values as the
  resource's settings and writes nothing, so the takeover's first `up` changes nothing live in
  Supabase, and the second `up` (``adopt:`` gone) applies the declared values as an update of
  exactly the fields that differ (docs/runbooks/adopting.md);
- diff and update touch only declared fields (an update sends only those that changed); while
  ``record_only`` is still set (the first `up` run again after a failed import), neither
  reports nor writes a change;
- delete never changes the project: the settings stay as they are;
- refresh reads the declared fields back, so drift shows as a diff; fields the API returns
  hashed (secrets) keep their declared value and never cause one.

The access token is read when the provider runs (``SUPABASE_ACCESS_TOKEN`` when set, else the
stack's secret ``supabaseAccessToken``: an explicit credential wins), never stored in the state,
which holds the provider as it was pickled, before it had a token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from clients.http import ApiError
from clients.polling import poll
from clients.supabase_management import API_URL, ManagementApi
from providers.runtime_token import RuntimeTokenProvider

# Where the token is read from (names, not values).
TOKEN_CONFIG_KEY = "newcool-infra:supabaseAccessToken"  # noqa: S105
TOKEN_ENVIRONMENT = "SUPABASE_ACCESS_TOKEN"  # noqa: S105
# Fields the API stores hashed and returns hashed: never compared with what was declared.
HASHED_SUFFIXES = ("_secret", "_secrets", "_pass", "_password", "_api_key", "_auth_token", "_access_key")

Settings = dict[str, Any]
# How long a write that Supabase applies later (network restrictions) or that restarts the
# database (SSL enforcement) is waited for, and how often it is checked.
APPLY_TIMEOUT_SECONDS = 600.0
POLL_SECONDS = 5.0


def is_hashed(field: str) -> bool:
    return field.endswith(HASHED_SUFFIXES)


def _comparable(value: Any) -> Any:
    """Lists of CIDRs (or any strings) compare as sets: the API keeps no order."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return sorted(value)
    if isinstance(value, Mapping):
        return {key: _comparable(item) for key, item in value.items()}
    return value


def json_ready(value: Any) -> Any:
    """Numbers cross Pulumi's wire as doubles (12 arrives as 12.0); the API's integers are sent as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    return value


def changed_fields(olds: Mapping[str, Any] | None, news: Mapping[str, Any]) -> list[str]:
    olds = olds or {}
    return sorted(
        key
        for key in set(olds) | set(news)
        if key not in olds or _comparable(olds.get(key)) != _comparable(news.get(key))
    )


class TokenProvider(RuntimeTokenProvider):
    """A provider that reaches the Management API with a token it gets only when it runs."""

    token_config_key = TOKEN_CONFIG_KEY
    token_environment = TOKEN_ENVIRONMENT

    def __init__(self, api_url: str = API_URL) -> None:
        super().__init__(api_url)

    def api(self) -> ManagementApi:
        return ManagementApi(self.token(), self._api_url)


@dataclass(frozen=True)
class Endpoint:
    """How one kind of settings is read (in the request's shape) and written."""

    kind: str
    read: Callable[[ManagementApi, str], Settings]
    write: Callable[[ManagementApi, str, Settings], None]
    # True when the API replaces the whole body on write (send every declared field).
    whole_body: bool = False


def _read_auth(api: ManagementApi, ref: str) -> Settings:
    return dict(api.request("GET", f"/v1/projects/{ref}/config/auth"))


def _write_auth(api: ManagementApi, ref: str, settings: Settings) -> None:
    api.request("PATCH", f"/v1/projects/{ref}/config/auth", json=settings, what=", ".join(sorted(settings)))


def _read_postgrest(api: ManagementApi, ref: str) -> Settings:
    return dict(api.request("GET", f"/v1/projects/{ref}/postgrest"))


def _write_postgrest(api: ManagementApi, ref: str, settings: Settings) -> None:
    api.request("PATCH", f"/v1/projects/{ref}/postgrest", json=settings, what=", ".join(sorted(settings)))


def _read_network(api: ManagementApi, ref: str) -> Settings:
    config = api.request("GET", f"/v1/projects/{ref}/network-restrictions").get("config") or {}
    return {
        "dbAllowedCidrs": config.get("dbAllowedCidrs") or [],
        "dbAllowedCidrsV6": config.get("dbAllowedCidrsV6") or [],
    }


def wait_until(api: ManagementApi, check: Callable[[], bool], what: str) -> None:
    """Polls ``check`` until it holds, a 5xx, 429 or outage counting as "not yet" (the restart SSL
    enforcement causes answers 503 for a while); past APPLY_TIMEOUT_SECONDS, one error saying
    what never came."""
    try:
        poll(
            lambda: True if check() else None,
            timeout=APPLY_TIMEOUT_SECONDS,
            interval=POLL_SECONDS,
            clock=api.clock,
            what=what,
        )
    except ApiError as error:
        raise ApiError(f"{error}; run `pulumi up` again once it has") from None


def _write_network(api: ManagementApi, ref: str, settings: Settings) -> None:
    # `apply` replaces the whole list and answers `stored`: it is live once the API says `applied`.
    # Migrations depend on this resource, so it returns only then (no race with the new list).
    api.request("POST", f"/v1/projects/{ref}/network-restrictions/apply", json=settings, what="dbAllowedCidrs(V6)")
    wait_until(
        api,
        lambda: api.request("GET", f"/v1/projects/{ref}/network-restrictions").get("status") == "applied",
        f"Supabase stored the network restrictions of {ref} but did not apply them",
    )


def database_healthy(api: ManagementApi, ref: str) -> bool:
    services = api.request("GET", f"/v1/projects/{ref}/health", params={"services": "db"})
    return any(s.get("name") == "db" and s.get("status") == "ACTIVE_HEALTHY" for s in services)


def _read_ssl(api: ManagementApi, ref: str) -> Settings:
    current = api.request("GET", f"/v1/projects/{ref}/ssl-enforcement")["currentConfig"]
    return {"requestedConfig": {"database": bool(current["database"])}}


def _write_ssl(api: ManagementApi, ref: str, settings: Settings) -> None:
    # Changing it restarts the database (docs/database.md): it returns once the database answers
    # again, so the migrations that depend on it do not meet a restarting server.
    answer = api.request("PUT", f"/v1/projects/{ref}/ssl-enforcement", json=settings, what="requestedConfig.database")
    if not answer.get("appliedSuccessfully"):
        raise ApiError(f"Supabase stored but did not apply SSL enforcement on {ref}; run `pulumi up` again")
    restarted = f"the database of {ref} did not come back after SSL enforcement"
    wait_until(api, lambda: database_healthy(api, ref), restarted)


def _read_legacy_keys(api: ManagementApi, ref: str) -> Settings:
    return {"enabled": bool(api.request("GET", f"/v1/projects/{ref}/api-keys/legacy")["enabled"])}


def _write_legacy_keys(api: ManagementApi, ref: str, settings: Settings) -> None:
    enabled = "true" if settings["enabled"] else "false"
    api.request("PUT", f"/v1/projects/{ref}/api-keys/legacy", params={"enabled": enabled}, what="enabled")


ENDPOINTS: Mapping[str, Endpoint] = {
    "auth": Endpoint("auth config", _read_auth, _write_auth),
    "postgrest": Endpoint("Data API config", _read_postgrest, _write_postgrest),
    "network": Endpoint("network restrictions", _read_network, _write_network, whole_body=True),
    "ssl": Endpoint("SSL enforcement", _read_ssl, _write_ssl, whole_body=True),
    "legacy-keys": Endpoint("legacy API keys", _read_legacy_keys, _write_legacy_keys, whole_body=True),
}


class SettingsProvider(TokenProvider):
    def __init__(self, endpoint: str, api_url: str = API_URL) -> None:
        super().__init__(api_url)
        # A name, not the functions: the pickle in the state stays small and readable.
        self._endpoint = endpoint

    @property
    def endpoint(self) -> Endpoint:
        return ENDPOINTS[self._endpoint]

    def _call(self, action: Callable[[ManagementApi], Settings | None]) -> Settings | None:
        try:
            with self.api() as api:
                return action(api)
        except ApiError as error:
            raise RuntimeError(f"supabase {self.endpoint.kind}: {error}") from None

    def create(self, props: dict[str, Any]) -> CreateResult:
        ref, declared = props["project_ref"], json_ready(dict(props["settings"]))
        if props.get("record_only"):
            return self._record(ref, declared, props)

        def adopt(api: ManagementApi) -> Settings:
            live = self.endpoint.read(api, ref)
            self.endpoint.write(api, ref, declared)
            # Hashed fields read back as hashes: not worth showing.
            return {key: live.get(key) for key in declared if not is_hashed(key)}

        adopted = self._call(adopt)
        return CreateResult(id_=f"{ref}/{self._endpoint}", outs={**props, "adopted": adopted})

    def _record(self, ref: str, declared: Settings, props: dict[str, Any]) -> CreateResult:
        """An adoption's create: the live values become the state's settings; nothing is written.
        Hashed fields are left out, so the second `up` sends the declared ones."""
        live = self._call(lambda api: self.endpoint.read(api, ref)) or {}
        recorded = {key: live.get(key) for key in declared if not is_hashed(key) and key in live}
        return CreateResult(id_=f"{ref}/{self._endpoint}", outs={**props, "settings": recorded, "adopted": recorded})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = ["project_ref"] if olds.get("project_ref") != news.get("project_ref") else []
        # While the adoption lasts (a re-run of the first `up` after a failed import), the
        # declared values are not applied: the second `up` does that, once adopt: is gone.
        changed = [] if news.get("record_only") else changed_fields(olds.get("settings"), news["settings"])
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, stables=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if news.get("record_only"):
            # Nothing written; the state keeps the recorded live values, so the second `up`'s
            # diff is still exactly what it will change.
            return UpdateResult(outs={**news, "settings": olds.get("settings"), "adopted": olds.get("adopted")})
        declared = json_ready(dict(news["settings"]))
        changed = changed_fields(olds.get("settings"), declared)
        body = declared if self.endpoint.whole_body else {key: declared[key] for key in changed if key in declared}
        if body:
            self._call(lambda api: self.endpoint.write(api, news["project_ref"], body))
        return UpdateResult(outs={**news, "adopted": olds.get("adopted")})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        declared = dict(props.get("settings") or {})
        live = self._call(lambda api: self.endpoint.read(api, props["project_ref"])) or {}
        settings = {key: declared[key] if is_hashed(key) else live.get(key) for key in declared}
        return ReadResult(id_=id_, outs={**props, "settings": settings})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Removing the resource leaves the project's settings as they are."""


class _SettingsResource(pulumi.dynamic.Resource):
    ENDPOINT: ClassVar[str]
    settings: pulumi.Output[dict[str, Any]]
    adopted: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        project_ref: pulumi.Input[str],
        settings: pulumi.Input[Mapping[str, Any]],
        api_url: str = API_URL,
        opts: pulumi.ResourceOptions | None = None,
        record_only: bool = False,
    ):
        props = {"project_ref": project_ref, "settings": settings, "adopted": None, "record_only": record_only}
        super().__init__(SettingsProvider(self.ENDPOINT, api_url), name, props, opts)


class AuthConfig(_SettingsResource, module="supabase", name="AuthConfig"):
    ENDPOINT = "auth"


class DataApiConfig(_SettingsResource, module="supabase", name="DataApiConfig"):
    ENDPOINT = "postgrest"


class NetworkRestrictions(_SettingsResource, module="supabase", name="NetworkRestrictions"):
    ENDPOINT = "network"


class SslEnforcement(_SettingsResource, module="supabase", name="SslEnforcement"):
    ENDPOINT = "ssl"


class LegacyApiKeys(_SettingsResource, module="supabase", name="LegacyApiKeys"):
    ENDPOINT = "legacy-keys"


# The engine's type token of each settings resource, and the endpoint it writes (make adopt-plan
# records the live settings under these; make preview compares the declared ones with them).
SETTINGS_RESOURCE_TYPES: Mapping[str, str] = {
    f"pulumi-python:dynamic/supabase:{cls.__name__}": cls.ENDPOINT
    for cls in (AuthConfig, DataApiConfig, NetworkRestrictions, SslEnforcement, LegacyApiKeys)
}


class BackupsProvider(TokenProvider):
    """Reads backups and PITR; never changes them."""

    def _snapshot(self, ref: str) -> dict[str, Any]:
        try:
            with self.api() as api:
                answer = api.request("GET", f"/v1/projects/{ref}/database/backups")
        except ApiError as error:
            raise RuntimeError(f"supabase backups: {error}") from None
        completed = [b for b in answer.get("backups") or [] if b.get("status") == "COMPLETED"]
        return {
            "project_ref": ref,
            "pitr_enabled": bool(answer.get("pitr_enabled")),
            "walg_enabled": bool(answer.get("walg_enabled")),
            "region": answer.get("region"),
            "completed_backups": len(completed),
            "latest_backup_at": max((str(b["inserted_at"]) for b in completed), default=None),
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=f"{props['project_ref']}/backups", outs=self._snapshot(props["project_ref"]))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        moved = olds.get("project_ref") != news.get("project_ref")
        return DiffResult(changes=moved, replaces=["project_ref"] if moved else [], stables=[])

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=self._snapshot(props["project_ref"]))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: the view only reads."""


class Backups(pulumi.dynamic.Resource, module="supabase", name="Backups"):
    pitr_enabled: pulumi.Output[bool]
    walg_enabled: pulumi.Output[bool]
    latest_backup_at: pulumi.Output[str | None]

    def __init__(
        self,
        name: str,
        project_ref: pulumi.Input[str],
        api_url: str = API_URL,
        opts: pulumi.ResourceOptions | None = None,
    ):
        outputs = dict.fromkeys(("pitr_enabled", "walg_enabled", "region", "completed_backups", "latest_backup_at"))
        super().__init__(BackupsProvider(api_url), name, {"project_ref": project_ref, **outputs}, opts)

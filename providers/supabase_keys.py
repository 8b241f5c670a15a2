"""A Supabase API key (``sb_publishable_…`` or ``sb_secret_…``) as a Pulumi resource.

The new keys replace the legacy ``anon`` and ``service_role`` JWTs, which Supabase retires by the
end of 2026. Create adopts: a key of the same type and name already on the project is taken
over, not duplicated (a first ``pulumi up`` against the live project). The key's value is a
secret output. Rotating a key means replacing the resource (a new name), so the new key exists
before the old one goes. Deleting the resource revokes the key only where ``revoke_on_delete``
says so (dev): in prod a key is revoked by hand once nothing uses it.
"""

from __future__ import annotations

from typing import Any, Literal

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from clients.http import ApiError
from clients.supabase_management import API_URL, ManagementApi
from providers.supabase_settings import TokenProvider

KeyType = Literal["publishable", "secret"]
REPLACING = ("project_ref", "type", "name")


class ApiKeyProvider(TokenProvider):
    def _call(self, props: dict[str, Any], action: Any) -> Any:
        try:
            with self.api() as api:
                return action(api)
        except ApiError as error:
            raise RuntimeError(f"supabase {props.get('type')} key {props.get('name')}: {error}") from None

    @staticmethod
    def _outs(props: dict[str, Any], key: dict[str, Any]) -> dict[str, Any]:
        return {**props, "key_id": key.get("id"), "api_key": key.get("api_key"), "prefix": key.get("prefix")}

    def create(self, props: dict[str, Any]) -> CreateResult:
        ref = props["project_ref"]

        def adopt_or_create(api: ManagementApi) -> dict[str, Any]:
            # A key of this name made before (by hand, or by a create whose reply was lost) is taken.
            existing = api.api_key_named(ref, props["type"], props["name"])
            return existing or api.create_api_key(ref, props["type"], props["name"], props["description"])

        key = self._call(props, adopt_or_create)
        return CreateResult(id_=str(key["id"]), outs=self._outs(props, key))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [field for field in REPLACING if olds.get(field) != news.get(field)]
        changed = replaces or [f for f in ("description", "revoke_on_delete") if olds.get(f) != news.get(f)]
        # The new key must exist before the old one goes: the app switches in between.
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if olds.get("description") != news.get("description"):
            self._call(
                news,
                lambda api: api.request(
                    "PATCH",
                    f"/v1/projects/{news['project_ref']}/api-keys/{id_}",
                    json={"description": news.get("description")},
                    what="description",
                ),
            )
        return UpdateResult(outs={**olds, **news, "key_id": olds.get("key_id"), "api_key": olds.get("api_key")})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = f"/v1/projects/{props['project_ref']}/api-keys/{id_}"
        try:
            with self.api() as api:
                key = api.request("GET", path, params={"reveal": "true"})
        except ApiError as error:
            if error.status == 404:
                # Revoked in the dashboard: gone, so `pulumi refresh` drops it and the next `up`
                # creates a new key (and wires it to Vercel) instead of failing on the old id.
                return ReadResult(id_="", outs={})
            raise RuntimeError(f"supabase {props.get('type')} key {props.get('name')}: {error}") from None
        return ReadResult(id_=id_, outs=self._outs(props, dict(key)))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if not props.get("revoke_on_delete"):
            return
        try:
            with self.api() as api:
                api.revoke_api_key(props["project_ref"], id_)
        except ApiError as error:
            if error.status == 404:
                return  # already revoked (`make rotate` revokes the key it replaced)
            raise RuntimeError(f"supabase {props.get('type')} key {props.get('name')}: {error}") from None


class ApiKey(pulumi.dynamic.Resource, module="supabase", name="ApiKey"):
    api_key: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        project_ref: pulumi.Input[str],
        key_type: KeyType,
        key_name: str,
        description: str,
        revoke_on_delete: bool,
        api_url: str = API_URL,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            ApiKeyProvider(api_url),
            name,
            {
                "project_ref": project_ref,
                "type": key_type,
                "name": key_name,
                "description": description,
                "revoke_on_delete": revoke_on_delete,
                "key_id": None,
                "api_key": None,
                "prefix": None,
            },
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["api_key"])),
        )

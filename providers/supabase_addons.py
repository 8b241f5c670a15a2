"""A Supabase project's point-in-time recovery, as a resource over the Management API add-ons.

``variant`` is ``pitr_7``, ``pitr_14`` or ``pitr_28`` (days of WAL kept), or ``none``: the stack
then buys nothing and relies on the plan's daily backups, and must say why and until when
(``waiver``, which the policy pack holds to its date). Create and update apply the declared
variant (``PATCH /billing/addons``); ``none`` never removes an add-on someone bought (that is a
decision for a person, in the dashboard); delete leaves the project as it is; refresh reads the
live variant back, so a PITR switched off by hand shows as drift.

This module's path is in deployed state: it stays where it is (providers/__init__.py).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from clients.http import ApiError
from clients.supabase_management import API_URL, ManagementApi
from providers.supabase_settings import TokenProvider

PITR_VARIANTS = ("pitr_7", "pitr_14", "pitr_28")
NO_PITR = "none"


def live_variant(api: ManagementApi, ref: str) -> str:
    """The project's PITR add-on variant, or ``none``."""
    answer = api.request("GET", f"/v1/projects/{ref}/billing/addons")
    for addon in answer.get("selected_addons") or []:
        if addon.get("type") == "pitr":
            return str((addon.get("variant") or {}).get("id") or NO_PITR)
    return NO_PITR


class PitrAddonProvider(TokenProvider):
    def _call(self, action: Any) -> Any:
        try:
            with self.api() as api:
                return action(api)
        except ApiError as error:
            raise RuntimeError(f"supabase point-in-time recovery: {error}") from None

    def _apply(self, props: dict[str, Any]) -> str:
        ref, declared = props["project_ref"], props["variant"]

        def apply(api: ManagementApi) -> str:
            live = live_variant(api, ref)
            if declared not in (NO_PITR, live):
                body = {"addon_type": "pitr", "addon_variant": declared}
                api.request("PATCH", f"/v1/projects/{ref}/billing/addons", json=body, what=f"pitr {declared}")
                return str(declared)
            return live

        return str(self._call(apply))

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=f"{props['project_ref']}/pitr", outs={**props, "live_variant": self._apply(props)})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = ["project_ref"] if olds.get("project_ref") != news.get("project_ref") else []
        drifted = news["variant"] != NO_PITR and olds.get("live_variant") != news["variant"]
        changed = replaces or drifted or any(olds.get(key) != news.get(key) for key in ("variant", "waiver"))
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**news, "live_variant": self._apply(news)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = self._call(lambda api: live_variant(api, props["project_ref"]))
        return ReadResult(id_=id_, outs={**props, "live_variant": live})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Removing the resource leaves the add-on as it is."""


class PitrAddon(pulumi.dynamic.Resource, module="supabase", name="PitrAddon"):
    live_variant: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        project_ref: pulumi.Input[str],
        variant: str,
        waiver: dict[str, str] | None,
        api_url: str = API_URL,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props = {"project_ref": project_ref, "variant": variant, "waiver": waiver, "live_variant": None}
        super().__init__(PitrAddonProvider(api_url), name, props, opts)

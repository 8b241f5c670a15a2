"""Vercel's branch-scoped preview variables and a branch's preview deployments (review environments).

A variable with ``gitBranch`` (target ``preview`` only) reaches only deployments of that git
branch; other previews fall back to the generic preview values. Written with ``upsert=true``, so
writing one again (a re-run after a kill) replaces it instead of adding a second. A review
environment marks what it writes with its name (``pr-<N>``) in the comment, and its rebuilds in
the deployment's ``meta``: the only markers the sweeper trusts.
"""

from __future__ import annotations

from typing import Any

from clients.vercel import VercelApi

REVIEW_MARKER = "newcool-review"


def marker(review: str) -> str:
    """The comment of every variable the review environment ``pr-<N>`` writes."""
    return f"{REVIEW_MARKER} {review}"


def review_of(variable: dict[str, Any]) -> str | None:
    """The review environment (pr-<N>) that wrote a variable, from its comment; None if not one of ours."""
    words = str(variable.get("comment") or "").split()
    return words[1] if len(words) == 2 and words[0] == REVIEW_MARKER else None


def branch_variables(api: VercelApi, project_id: str, git_branch: str | None = None) -> list[dict[str, Any]]:
    """The project's variables scoped to a git branch (to ``git_branch`` when given)."""
    envs = api.variables(project_id, git_branch)
    return [dict(e) for e in envs if e.get("gitBranch") and (git_branch is None or e["gitBranch"] == git_branch)]


def upsert_branch_variable(
    api: VercelApi, project_id: str, *, key: str, value: str, git_branch: str, sensitive: bool, review: str
) -> dict[str, Any]:
    """Writes one preview variable for one git branch (replacing the one there); answers it."""
    body = {
        "key": key,
        "value": value,
        "type": "sensitive" if sensitive else "plain",
        "target": ["preview"],
        "gitBranch": git_branch,
        "comment": marker(review),
    }
    params = {**api.team, "upsert": "true"}
    answer = api.request("POST", f"/v10/projects/{project_id}/env", json=body, params=params, what=key)
    created = answer.get("created")
    written = created[0] if isinstance(created, list) else created
    if not written or "id" not in written:
        # Some answers omit what an upsert replaced: read it back.
        written = next(e for e in branch_variables(api, project_id, git_branch) if e["key"] == key)
    return dict(written)


def delete_variable(api: VercelApi, project_id: str, variable_id: str, what: str) -> None:
    api.request("DELETE", f"/v9/projects/{project_id}/env/{variable_id}", params=api.team, what=what)


def branch_deployments(api: VercelApi, project_id: str, git_branch: str) -> list[dict[str, Any]]:
    """The branch's preview deployments, newest first."""
    params = {**api.team, "projectId": project_id, "target": "preview", "branch": git_branch, "limit": 20}
    return [dict(d) for d in api.request("GET", "/v6/deployments", params=params)["deployments"]]


def rebuild(
    api: VercelApi, project_id: str, project_name: str, git_branch: str, deployment_id: str, meta: dict[str, str]
) -> str:
    """A new preview deployment of the same source, built with the variables as they are now.

    Sent once (``JsonApi.create``): after a lost reply the branch's deployment carrying ``meta``
    is looked up and adopted, never built twice."""
    body = {"name": project_name, "deploymentId": deployment_id, "meta": meta}

    def marked() -> dict[str, Any] | None:
        deployments = branch_deployments(api, project_id, git_branch)
        return next((d for d in deployments if meta.items() <= (d.get("meta") or {}).items()), None)

    answer = api.create(
        "POST", "/v13/deployments", json=body, params=api.team, what="preview rebuild", find_existing=marked
    )
    return str(answer.get("id") or answer.get("uid"))

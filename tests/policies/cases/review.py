"""Firing cases of ``policies/guardrails/review.py``: each breaks one thing in a review stack's
real plan (pr-123), judged with ``policies/config.review.json``."""

from __future__ import annotations

import copy

from preview.plan import Plan
from tests.policies.breaking import Case, edited, plus, setter

CACHE = "pulumi-python:dynamic/upstash:Database"
VARIABLE = "pulumi-python:dynamic/vercel:BranchVariable"
BRANCH = "pulumi-python:dynamic/supabase:Branch"
KEY = "pulumi-python:dynamic/supabase:ApiKey"


def protected(plan: Plan, resource_type: str, name: str) -> Plan:
    registrations = []
    for original in plan:
        registration = original
        if original.type == resource_type and original.name == name:
            registration = copy.deepcopy(original)
            registration.protect = True
        registrations.append(registration)
    return Plan(plan.stack, registrations, plan.outputs)


PROD_URL = "https://prodnewcoolprojectbb.supabase.co"
CASES: list[Case] = [
    (
        "review-no-prod-backend",
        lambda p: edited(p, VARIABLE, "next-public-supabase-url", setter("value", PROD_URL)),
        "carries prod's 'prodnewcoolprojectbb'",
    ),
    (
        "review-no-prod-backend",
        lambda p: edited(p, KEY, "secret-key", setter("project_ref", "prodnewcoolprojectbb")),
        "project_ref carries prod's",
    ),
    (
        "review-no-prod-backend",
        lambda p: edited(p, VARIABLE, "s3-key-prefix", setter("value", "newcool-uploads")),
        "carries prod's 'newcool-uploads'",
    ),
    (
        # Prod's Redis REST URL is https://<its endpoint>: neither its id nor its name is in it.
        "review-no-prod-backend",
        lambda p: edited(
            p, VARIABLE, "upstash-redis-rest-url", setter("value", "https://newcool-prod-00000.upstash.io")
        ),
        "carries prod's 'newcool-prod-00000.upstash.io'",
    ),
    (
        # StackReference("prod") is the shorthand of <org>/newcool-infra/prod.
        "review-no-prod-backend",
        lambda p: plus(p, "pulumi:pulumi:StackReference", "prod", {"name": "prod"}),
        "reads the prod stack's outputs",
    ),
    ("review-disposable", lambda p: protected(p, BRANCH, "branch"), "protected"),
    ("review-cache-budget", lambda p: edited(p, CACHE, "cache", setter("budget", 100)), "capped at 20 USD"),
    ("review-cache-budget", lambda p: edited(p, CACHE, "cache", setter("eviction", False)), "eviction must be on"),
]

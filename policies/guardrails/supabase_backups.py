"""The database can be restored to any moment: point-in-time recovery, or a dated acceptance.

Supabase's daily backups lose up to a day of writes and their restores have been known to hang
for hours; PITR keeps the write-ahead log. A stack that does without it says why, in the stack
file, and until when: the acceptance expires, and so does the exception.
"""

from __future__ import annotations

import datetime

from pulumi_policy import PolicyConfigSchema, Severity, StackValidationArgs

from .common import Report, stack_policy

PITR = "pulumi-python:dynamic/supabase:PitrAddon"
NO_PITR = "none"


def _today(args: StackValidationArgs) -> datetime.date:
    as_of = args.get_config().get("asOf")
    return datetime.date.fromisoformat(str(as_of)) if as_of else datetime.date.today()


def _point_in_time_recovery(args: StackValidationArgs, report: Report) -> None:
    if not args.get_config().get("required", True):
        return
    addons = [r for r in args.resources if r.resource_type == PITR]
    if not addons:
        report("the stack declares no PitrAddon: point-in-time recovery is neither bought nor waived.")
    for addon in addons:
        if addon.props.get("variant") != NO_PITR:
            continue
        waiver = addon.props.get("waiver") or {}
        reason, until = str(waiver.get("reason") or "").strip(), str(waiver.get("until") or "")
        if not reason or not until:
            report(
                f"{addon.name}: no point-in-time recovery and no dated acceptance (supabasePitrWaiver: "
                "{reason, until}).",
                addon.urn,
            )
        elif _today(args) > datetime.date.fromisoformat(until):
            report(
                f"{addon.name}: the acceptance of running without point-in-time recovery ended on {until}.", addon.urn
            )


POLICIES = [
    stack_policy(
        "supabase-point-in-time-recovery",
        "The Supabase database has point-in-time recovery, or the stack file accepts, with a reason and an end "
        "date, running on the plan's daily backups.",
        "Daily backups lose up to a day of writes, and restores have hung for hours: PITR, plus an independent "
        "dump, is what makes a restore a plan rather than a hope.",
        Severity.HIGH,
        "Set supabasePitr: pitr_7 (or longer), or supabasePitrWaiver: {reason, until} for a reviewed exception.",
        _point_in_time_recovery,
        config_schema=PolicyConfigSchema(properties={"required": {"type": "boolean"}, "asOf": {"type": "string"}}),
    ),
]

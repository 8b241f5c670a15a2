"""Publishes the errors in Supabase's Postgres and auth logs to CloudWatch, where the
supabase-errors alarm pages on a spike (more than ``supabaseErrorSpike`` in 5 minutes).

Beside ``db_metrics`` in the db-metrics workflow, every five minutes per stack: it asks the
Management API's log endpoint (``logs.all``, SQL over the project's log tables) for the errors of
the last complete five minutes, one minute back because logs arrive late, and publishes
``LogErrors`` per source and in total, through the same role (the NewCool/Supabase namespace).
A quiet window is published as 0, so the graph shows it was measured.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from clients import aws
from clients.aws_errors import error_code
from clients.http import ApiError
from clients.supabase_management import API_URL, ManagementApi
from components.monitoring import DB_METRIC_NAMESPACE, LOG_ERRORS_METRIC_NAME
from operations.reporters.db_metrics import metrics_client
from stack_config.loader import offline_stack_config

# Supabase's log explorer SQL: one row with the count, per source table.
ERROR_QUERIES = {
    "postgres": (
        "select count(*) as errors from postgres_logs cross join unnest(metadata) as m "
        "cross join unnest(m.parsed) as p where p.error_severity in ('ERROR', 'FATAL', 'PANIC')"
    ),
    "auth": (
        "select count(*) as errors from auth_logs cross join unnest(metadata) as m "
        "where m.level in ('error', 'fatal', 'panic')"
    ),
}
WINDOW = datetime.timedelta(minutes=5)
# Logs reach the endpoint up to a minute late: the window ends a minute ago.
LAG = datetime.timedelta(minutes=1)


def window(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The last complete five minutes, whole minutes (the endpoint rounds to them anyway)."""
    end = now.astimezone(datetime.UTC).replace(second=0, microsecond=0) - LAG
    return end - WINDOW, end


def _iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def error_counts(api: ManagementApi, ref: str, start: datetime.datetime, end: datetime.datetime) -> dict[str, int]:
    counts = {}
    for source, sql in ERROR_QUERIES.items():
        params = {"sql": sql, "iso_timestamp_start": _iso(start), "iso_timestamp_end": _iso(end)}
        answer = api.request("GET", f"/v1/projects/{ref}/analytics/endpoints/logs.all", params=params)
        if answer.get("error"):
            error = answer["error"]
            message = error.get("message", "") if isinstance(error, Mapping) else str(error)
            raise ApiError(f"Supabase logs refused the {source} query: {' '.join(message.split())}")
        rows = answer.get("result") or []
        counts[source] = int(rows[0].get("errors", 0)) if rows else 0
    return counts


def publish(stack: str, counts: Mapping[str, int], at: datetime.datetime, cloudwatch: Any = None) -> None:
    """The total (what the alarm reads) and each source (what on-call reads next)."""
    client = cloudwatch or metrics_client(stack)
    stack_dimension = {"Name": "Stack", "Value": stack}
    data = [
        {"MetricName": LOG_ERRORS_METRIC_NAME, "Dimensions": [stack_dimension], "Value": float(sum(counts.values()))},
        *(
            {
                "MetricName": LOG_ERRORS_METRIC_NAME,
                "Dimensions": [stack_dimension, {"Name": "Source", "Value": source}],
                "Value": float(count),
            }
            for source, count in counts.items()
        ),
    ]
    client.put_metric_data(
        Namespace=DB_METRIC_NAMESPACE, MetricData=[{**d, "Timestamp": at, "Unit": "Count"} for d in data]
    )


def main(argv: list[str] | None = None, now: datetime.datetime | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", choices=["dev", "prod"], required=True)
    parser.add_argument("--dry-run", action="store_true", help="count and print, publish nothing")
    args = parser.parse_args(argv)
    token = os.environ.get("SUPABASE_ACCESS_TOKEN", "")
    if not token:
        print("error: set SUPABASE_ACCESS_TOKEN", file=sys.stderr)
        return 2
    start, end = window(now or datetime.datetime.now(datetime.UTC))
    ref = offline_stack_config(args.stack).supabase.project_ref
    try:
        with ManagementApi(token, os.environ.get("SUPABASE_API_URL", API_URL)) as api:
            counts = error_counts(api, ref, start, end)
    except ApiError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    line = ", ".join(f"{source} {count}" for source, count in counts.items())
    print(f"{args.stack}: Supabase log errors {_iso(start)}..{_iso(end)}: {line}")
    if not args.dry_run:
        try:
            publish(args.stack, counts, end)
        except (BotoCoreError, ClientError) as error:
            print(f"error: CloudWatch refused the metrics: {error_code(error)}", file=sys.stderr)
            return 1
        except aws.AccountGuardError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

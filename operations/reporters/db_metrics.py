"""Publishes Supabase's connection usage to CloudWatch, where an alarm watches it (> 80 %).

Supabase's own metrics are not in AWS; this is the bridge. The db-metrics workflow runs it
every five minutes per stack with that stack's DATABASE_URL and the role Monitoring creates
(which may only put metrics in the NewCool/Supabase namespace); prod's job runs on the runner
whose address prod's database admits. Every run also publishes a heartbeat: 1 when it measured,
0 when it could not. The reporter's own alarm (``db-metrics-reporter``) pages once on a 0 or on
silence, saying the reporter failed; the connections alarm fires only on a measured value, never
on a missing one. Published only into the stack's own AWS account (``clients.aws.guarded_client``).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import psycopg

from clients import aws
from components.monitoring import DB_METRIC_NAME, DB_METRIC_NAMESPACE, METRICS_REGION, REPORTER_HEARTBEAT_METRIC
from db_migrations.connection import describe, scrub
from stack_config import ConfigError
from stack_config.accounts import allowed_accounts

USAGE_SQL = b"""
select count(*)::float8 * 100 / current_setting('max_connections')::float8
  from pg_stat_activity
 where backend_type = 'client backend'
"""


def connection_usage_percent(database_url: str) -> float:
    with psycopg.connect(database_url, connect_timeout=10) as connection:
        row = connection.execute(USAGE_SQL).fetchone()
    return float(str(row[0])) if row else 0.0


def metrics_client(stack: str) -> Any:
    """CloudWatch in the metrics region of the stack's own account, or AccountGuardError."""
    return aws.guarded_client("cloudwatch", METRICS_REGION, allowed_accounts(stack), what=f"db-metrics of {stack}")


def publish(stack: str, percent: float | None, cloudwatch: Any = None) -> None:
    """The usage (when measured) and the heartbeat: 1 measured, 0 not (the reporter's alarm)."""
    client = cloudwatch or metrics_client(stack)
    dimensions = [{"Name": "Stack", "Value": stack}]
    heartbeat = {"MetricName": REPORTER_HEARTBEAT_METRIC, "Dimensions": dimensions, "Unit": "Count"}
    data = [{**heartbeat, "Value": 0.0 if percent is None else 1.0}]
    if percent is not None:
        data.insert(0, {"MetricName": DB_METRIC_NAME, "Dimensions": dimensions, "Value": percent, "Unit": "Percent"})
    client.put_metric_data(Namespace=DB_METRIC_NAMESPACE, MetricData=data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", choices=["dev", "prod"], required=True)
    parser.add_argument("--dry-run", action="store_true", help="measure and print, publish nothing")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        print("error: set DATABASE_URL", file=sys.stderr)
        return 2
    percent: float | None = None
    try:
        percent = connection_usage_percent(database_url)
    except psycopg.Error as error:
        print(f"error: cannot measure {describe(database_url)}: {scrub(str(error), database_url)}", file=sys.stderr)
    else:
        print(f"{args.stack}: {percent:.1f}% of max_connections in use")
    if not args.dry_run:
        try:
            # A failed measurement is published too (heartbeat 0): its own alarm pages, once.
            publish(args.stack, percent)
        except (aws.AccountGuardError, ConfigError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return 0 if percent is not None else 1


if __name__ == "__main__":
    sys.exit(main())

"""Publishes Supabase's connection usage to CloudWatch, where an alarm watches it (> 80 %).

Supabase's own metrics are not in AWS; this is the bridge. The db-metrics workflow runs it
every five minutes per stack with that stack's DATABASE_URL and the role Monitoring creates
(which may only put metrics in the NewCool/Supabase namespace). If it stops reporting, the
alarm treats the silence as breaching.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import psycopg

from clients import aws
from components.monitoring import DB_METRIC_NAME, DB_METRIC_NAMESPACE, METRICS_REGION
from db_migrations.connection import describe, scrub

USAGE_SQL = b"""
select count(*)::float8 * 100 / current_setting('max_connections')::float8
  from pg_stat_activity
 where backend_type = 'client backend'
"""


def connection_usage_percent(database_url: str) -> float:
    with psycopg.connect(database_url, connect_timeout=10) as connection:
        row = connection.execute(USAGE_SQL).fetchone()
    return float(str(row[0])) if row else 0.0


def publish(stack: str, percent: float, cloudwatch: Any = None) -> None:
    client = cloudwatch or aws.client("cloudwatch", METRICS_REGION)
    client.put_metric_data(
        Namespace=DB_METRIC_NAMESPACE,
        MetricData=[
            {
                "MetricName": DB_METRIC_NAME,
                "Dimensions": [{"Name": "Stack", "Value": stack}],
                "Value": percent,
                "Unit": "Percent",
            }
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", choices=["dev", "prod"], required=True)
    parser.add_argument("--dry-run", action="store_true", help="measure and print, publish nothing")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        print("error: set DATABASE_URL", file=sys.stderr)
        return 2
    try:
        percent = connection_usage_percent(database_url)
    except psycopg.Error as error:
        print(f"error: cannot measure {describe(database_url)}: {scrub(str(error), database_url)}", file=sys.stderr)
        return 1
    print(f"{args.stack}: {percent:.1f}% of max_connections in use")
    if not args.dry_run:
        publish(args.stack, percent)
    return 0


if __name__ == "__main__":
    sys.exit(main())

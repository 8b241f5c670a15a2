"""CloudWatch as far as the traffic alarms need it, to evaluate them offline on what the receiver
emitted: embedded-metric-format records become metric data (on moto), and a declared alarm is
evaluated for one period as CloudWatch would: its MetricStat queries fetched from that data,
its expression computed (IF, FILL, AND, OR, comparisons, arithmetic), its threshold compared."""

from __future__ import annotations

import ast
import datetime
import math
import re
from collections.abc import Mapping
from typing import Any

COMPARISONS = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
}


def put_emf(cloudwatch: Any, records: list[dict[str, Any]]) -> None:
    """What CloudWatch Logs extracts from EMF records in a Lambda's log group: one datum per
    declared metric, with every value of an array."""
    for record in records:
        at = datetime.datetime.fromtimestamp(record["_aws"]["Timestamp"] / 1000, tz=datetime.UTC)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            (dimension_names,) = directive["Dimensions"]
            dimensions = [{"Name": name, "Value": record[name]} for name in dimension_names]
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                values = value if isinstance(value, list) else [value]
                cloudwatch.put_metric_data(
                    Namespace=directive["Namespace"],
                    MetricData=[
                        {"MetricName": metric["Name"], "Dimensions": dimensions, "Timestamp": at, "Value": v}
                        for v in values
                    ],
                )


def fetch(cloudwatch: Any, query: Mapping[str, Any], start: datetime.datetime) -> float | None:
    """One period of a declared MetricStat query (None: no data in the period)."""
    metric = query["metric"]
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": query["id"],
                "MetricStat": {
                    "Metric": {
                        "Namespace": metric["namespace"],
                        "MetricName": metric["metricName"],
                        "Dimensions": [{"Name": k, "Value": v} for k, v in metric["dimensions"].items()],
                    },
                    "Period": int(metric["period"]),
                    "Stat": metric["stat"],
                },
            }
        ],
        StartTime=start,
        EndTime=start + datetime.timedelta(seconds=int(metric["period"])),
    )
    values = answer["MetricDataResults"][0]["Values"]
    return float(values[0]) if values else None


def percentile(values: list[float], p: float) -> float:
    """CloudWatch's pNN over a period's samples (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _if(condition: Any, then: float, otherwise: float) -> float:
    return then if condition else otherwise


def _fill(value: float | None, default: float) -> float:
    return default if value is None else value


def evaluate(expression: str, values: Mapping[str, float | None]) -> float:
    """A metric-math expression over one period's values (ids as names)."""
    python = re.sub(r"\bAND\b", " and ", re.sub(r"\bOR\b", " or ", expression))
    tree = ast.parse(python, mode="eval")
    allowed = (
        ast.Expression, ast.BoolOp, ast.BinOp, ast.Compare, ast.Call, ast.Name, ast.Constant, ast.Load,
        ast.And, ast.Or, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Eq, ast.Gt, ast.GtE, ast.Lt, ast.LtE,
    )  # fmt: skip
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ValueError(f"not in the metric-math subset: {type(node).__name__}")
    scope = {"IF": _if, "FILL": _fill, **values}
    return float(eval(compile(tree, "<metric math>", "eval"), {"__builtins__": {}}, scope))


def fires(alarm: Mapping[str, Any], value: float | None) -> bool:
    """One period's verdict: missing data as the alarm says to treat it."""
    if value is None:
        return bool(alarm["treatMissingData"] == "breaching")
    return bool(COMPARISONS[alarm["comparisonOperator"]](value, alarm["threshold"]))


def math_alarm_value(alarm: Mapping[str, Any], cloudwatch: Any, start: datetime.datetime) -> float:
    queries = alarm["metricQueries"]
    fetched = {q["id"]: fetch(cloudwatch, q, start) for q in queries if q.get("metric")}
    (returned,) = [q for q in queries if q.get("returnData")]
    return evaluate(returned["expression"], fetched)

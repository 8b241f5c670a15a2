"""`make bench-preview`: the preview's whole-process time beside its floor, measured pair by pair.

The floor is a bare Python importing the SDK modules the program uses (the same resource
classes), so the ratio says what the preview costs beyond loading the SDKs, on whatever machine
runs it: machines of one kind differ by up to 3x in speed, the ratio much less. Each round runs
the floor and then the preview for each stack, so both see the same machine state.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from stack_config.stack_file import ROOT

ROUNDS = 7
TARGET_RATIO = 2.0
# What __main__.py's components touch: the resource classes of each SDK module they declare.
FLOOR_IMPORTS = """
import pulumi, pulumi.dynamic, psycopg, yaml
import pulumi_aws as aws, pulumiverse_vercel as vercel, upstash_pulumi as upstash
for cls in (aws.s3.Bucket, aws.cloudfront.Distribution, aws.wafv2.WebAcl, aws.iam.Role, aws.kms.Key,
            aws.sns.Topic, aws.cloudwatch.MetricAlarm, aws.cloudwatch.LogDeliverySource, aws.route53.Record,
            aws.acm.Certificate, aws.lambda_.Function, vercel.Project, vercel.ProjectEnvironmentVariable,
            vercel.LogDrain, upstash.RedisDatabase):
    pass
"""


def _seconds(command: list[str]) -> float:
    start = time.perf_counter()
    # The exit code is the verdict, not a failure of the measurement.
    subprocess.run(command, cwd=ROOT, check=False, capture_output=True)  # noqa: S603 (our own commands)
    return time.perf_counter() - start


def main() -> int:
    floor: list[float] = []
    previews: dict[str, list[float]] = {"dev": [], "prod": []}
    for _ in range(ROUNDS):
        floor.append(_seconds([sys.executable, "-c", FLOOR_IMPORTS]))
        for stack, times in previews.items():
            times.append(_seconds([sys.executable, "-m", "preview", "--stack", stack]))
    floor_median = statistics.median(floor)
    print(f"floor (bare import of the SDK modules): median {floor_median:.2f} s over {ROUNDS} rounds")
    worst = 0.0
    for stack, times in previews.items():
        ratios = [t / f for t, f in zip(times, floor, strict=True)]
        ratio = statistics.median(ratios)
        worst = max(worst, ratio)
        print(
            f"make preview STACK={stack}: median {statistics.median(times):.2f} s, "
            f"{ratio:.2f}x the floor (pairwise median; runs {', '.join(f'{t:.2f}' for t in times)})"
        )
    print(f"target at most {TARGET_RATIO:.0f}x the floor: {'met' if worst <= TARGET_RATIO else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

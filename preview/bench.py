"""`make bench-preview`: whole-process wall time of `make preview` per stack, median of 5 runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from stack_config.stack_file import ROOT

RUNS = 5
TARGET_SECONDS = 2.0


def main() -> int:
    worst = 0.0
    for stack in ("dev", "prod"):
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run(  # noqa: S603
                ["make", "--no-print-directory", "preview", f"STACK={stack}"],  # noqa: S607 (make from PATH)
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        worst = max(worst, median)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"make preview STACK={stack}: median {median:.2f}s over {RUNS} runs ({runs})")
    print(f"target under {TARGET_SECONDS:.0f}s: {'met' if worst < TARGET_SECONDS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

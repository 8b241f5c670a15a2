"""`make preview STACK=dev|prod`: the stack's plan, computed offline and checked by the policy pack.

No Pulumi CLI, no credentials and no network are used: the program runs with the stack's real
config file on Pulumi's mock runtime, against stand-in providers; every resource it would
create is printed with its inputs (secrets masked) and the options that protect it; then the
policy pack judges the plan over gRPC exactly as the engine calls it. With the recorded live state
(``live_state/<stack>.json``, written by ``make adopt-plan``) it also predicts what the engine does
with the imports and what the second `up` changes. Exit codes: 0 clean (or advisory findings
only), 1 a mandatory violation or an import the engine would refuse, 2 bad stack config.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pulumi.runtime.proto.analyzer_pb2_grpc import AnalyzerStub
from rich.console import Console

import live_state
from preview.adoption import predict
from preview.analyzer import analyze, launched_pack
from preview.engine import run_program
from preview.report import (
    plan_resources,
    render_costs,
    render_plan,
    render_prediction,
    render_summary,
    render_verdict,
    report,
)
from preview.sarif import sarif_log
from stack_config import ConfigError
from stack_config.vocabulary import REVIEW_STACK


def _stack_name(value: str) -> str:
    if value in ("dev", "prod") or REVIEW_STACK.match(value):
        return value
    raise argparse.ArgumentTypeError(f"{value!r}: the stacks are dev, prod and pr-<N> (a pull request's review stack)")


def _plan_only(stack: str, path: Path) -> int:
    """The plan alone, for make cost-diff: one run of the program, no pack, no report."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            plan = run_program(stack, collect=False)
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    path.write_text(json.dumps(plan_resources(plan), sort_keys=True) + "\n")
    return 0


def main(argv: list[str] | None = None, pack_stub: Callable[[], AnalyzerStub] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", type=_stack_name, required=True, help="dev, prod, or a review stack pr-<N>")
    parser.add_argument("--json", type=Path, help="also write a machine-readable report to this file")
    parser.add_argument("--sarif", type=Path, help="also write the verdict as a SARIF 2.1.0 log to this file")
    parser.add_argument(
        "--plan-json",
        type=Path,
        help="only write the plan (resources and inputs, secrets masked) to this file and stop",
    )
    parser.add_argument(
        "--live-state",
        type=Path,
        help="the recorded live state to predict the engine from (default: live_state/<stack>.json when present)",
    )
    args = parser.parse_args(argv)
    if args.plan_json:
        return _plan_only(args.stack, args.plan_json)
    default_live = live_state.path_for(args.stack)
    live_path: Path | None = args.live_state or (default_live if default_live.exists() else None)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    console.print("[dim]Offline: no Pulumi CLI, no credentials, no network; providers are stand-ins.[/]")
    try:
        # Read first: a malformed file stops the preview before the program runs.
        live = live_state.load(live_path) if live_path else None
    except live_state.LiveStateError as error:
        console.print(f"[bold red]config error:[/] {error}")
        return 2
    # The pack starts while the program runs: the two imports of the SDKs overlap.
    with contextlib.ExitStack() as running:
        # A caller that judges many previews (the tests) passes its running pack's stub.
        stub = pack_stub or running.enter_context(launched_pack()).stub
        try:
            # What a real preview knows (computed values unknown), for display; and the plan
            # completed with stand-in values, which the pack judges so that no rule is skipped
            # as "unknown during preview".
            program_output = io.StringIO()
            with contextlib.redirect_stderr(program_output), ThreadPoolExecutor(max_workers=1) as judge:
                plan = run_program(args.stack, collect=False)
                # The pack judges (its own process; this thread only waits on gRPC) while the
                # program runs again for display.
                judged = judge.submit(analyze, plan, None, stub())
                shown = run_program(args.stack, invent=False, collect=False)
                verdict = judged.result()
            with contextlib.redirect_stderr(io.StringIO()):  # the second `up`'s warnings repeat the first's
                prediction = predict(plan, live) if live else None
        except ConfigError as error:
            console.print(f"[bold red]config error:[/] {error}")
            return 2
    warnings = sorted({line.strip() for line in program_output.getvalue().splitlines() if line.strip()})
    render_summary(shown, verdict, warnings, console)
    if prediction is not None:
        render_prediction(prediction, console)
    render_verdict(shown, verdict, console)
    render_costs(plan, console)
    render_plan(shown, console)
    if args.json:
        document = report(shown, verdict)
        if prediction is not None:
            document["engine"] = prediction.as_report()
        args.json.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        console.print(f"\nReport written to {args.json}")
    if args.sarif:
        args.sarif.write_text(json.dumps(sarif_log(plan, verdict), indent=2, sort_keys=True) + "\n")
        console.print(f"SARIF written to {args.sarif}")
    return 1 if verdict.mandatory or (prediction is not None and prediction.import_failures) else 0


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is written; skip the interpreter's teardown, which joins the mock runtime's idle
    # worker threads and frees the providers' large modules (0.6 s, a third of the preview).
    os._exit(exit_code)

"""Log drains: Vercel signs every batch, and a public function URL checks what it receives."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from .common import Report, resource_policy, stack_policy

LOG_DRAIN = "vercel:index/logDrain:LogDrain"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
FUNCTION = "aws:lambda/function:Function"
# The receiver's handler refuses to start without this variable (lambdas/log_drain_receiver.py;
# the pack imports nothing of the repository, and a test keeps the two names equal).
SIGNING_SECRET_VARIABLE = "LOG_DRAIN_SECRET"  # noqa: S105 (a variable's name)
MIN_SECRET_LENGTH = 32


def _drain_signed(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != LOG_DRAIN:
        return
    secret = args.props.get("secret")
    if not secret:
        report(
            f"{args.name}: the log drain has no secret, so its batches are unsigned and whoever learns the "
            "endpoint can write logs and metrics (and silence alarms)."
        )
    elif isinstance(secret, str) and len(secret) < MIN_SECRET_LENGTH:
        report(f"{args.name}: the log drain's secret is shorter than {MIN_SECRET_LENGTH} characters.")
    endpoint = args.props.get("endpoint")
    if isinstance(endpoint, str) and endpoint and not endpoint.startswith("https://"):
        report(f"{args.name}: the log drain sends to {endpoint}, not over HTTPS.")


def _public_urls_check_signatures(args: StackValidationArgs, report: Report) -> None:
    functions = [r for r in args.resources if r.resource_type == FUNCTION]
    for url in (r for r in args.resources if r.resource_type == FUNCTION_URL):
        if url.props.get("authorizationType") != "NONE":
            continue
        # Computed from the function (its name is unknown in a preview), or named literally.
        targets = [d for d in url.property_dependencies.get("functionName", []) if d.resource_type == FUNCTION]
        targets = targets or [f for f in functions if f.props.get("name") == url.props.get("functionName")]
        for function in targets:
            variables = (function.props.get("environment") or {}).get("variables") or {}
            if not variables.get(SIGNING_SECRET_VARIABLE):
                report(
                    f"function URL {url.name} is open to anyone (authorization NONE) but its function "
                    f"{function.name} has no {SIGNING_SECRET_VARIABLE}: nothing checks who is calling.",
                    url.urn,
                )


POLICIES = [
    resource_policy(
        "vercel-log-drain-signed",
        "Vercel log drains sign their batches with a secret of at least 32 characters, over HTTPS.",
        "The receiver is a public URL; without a signature anyone who learns it can forge log entries and the "
        "request metrics the alarms read.",
        Severity.HIGH,
        "Set secret on the vercel.LogDrain (config vercelLogDrainSecret, from the stack's ESC environment).",
        _drain_signed,
    ),
    stack_policy(
        "lambda-url-checks-signatures",
        f"A Lambda function URL without AWS authorization belongs to a function given its signing secret "
        f"({SIGNING_SECRET_VARIABLE}), which its handler refuses to start without.",
        "Authorization NONE lets the whole internet call the function; only a signature check on each request "
        "keeps what it writes genuine.",
        Severity.HIGH,
        f"Give the function its {SIGNING_SECRET_VARIABLE} (components/app_traffic.py), or use authorization AWS_IAM.",
        _public_urls_check_signatures,
    ),
]

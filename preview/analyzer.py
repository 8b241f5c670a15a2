"""Runs the policy pack over a plan exactly as the Pulumi engine does: over gRPC.

The pack is started as its own process, as the engine's Python analyzer host starts it
(``python -m pulumi.policy <engine> <pack dir>``), isolated from this repository's packages as
it is once published; it prints its port; then the engine's calls are made through
``AnalyzerStub``: GetAnalyzerInfo, Configure (the stack's
``policies/config.<stack>.json``), ConfigureStack, Analyze for each resource (its inputs) and
AnalyzeStack (every resource's state, parents and property dependencies).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from preview.plan import Plan, Registration, to_wire
from stack_config import PROJECT
from stack_config.stack_file import ROOT
from stack_config.vocabulary import REVIEW_STACK

POLICIES_DIR = ROOT / "policies"
# The analyzer host passes the engine's address first; a Python pack never dials it.
UNUSED_ENGINE_ADDRESS = "127.0.0.1:0"
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "unspecified",
}
ENFORCEMENT = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
ENFORCEMENT_VALUES = {name: value for value, name in ENFORCEMENT.items()}
SEVERITY_ORDER = ("critical", "high", "medium", "low", "unspecified")


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    enforcement: str
    message: str
    urn: str


@dataclass(frozen=True)
class Rule:
    """A policy as the pack describes itself (GetAnalyzerInfo)."""

    name: str
    description: str
    severity: str
    remediation: str
    # "<framework> <reference>", e.g. "fsbp S3.8"; empty when internal.
    control: str


@dataclass
class Verdict:
    pack: str
    version: str
    policies: list[str]
    analyzed: int
    violations: list[Violation] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]


def policy_config_name(stack: str) -> str:
    """Every review stack (pr-<N>) is judged with the one review config."""
    return "review" if REVIEW_STACK.match(stack) else stack


def stack_policy_config(stack: str) -> dict[str, Any]:
    path = POLICIES_DIR / f"config.{policy_config_name(stack)}.json"
    config: dict[str, Any] = json.loads(path.read_text())
    return config


def _discard(stream: IO[str]) -> None:
    while stream.read(65536):
        pass


class PackProcess:
    """A started policy pack: its gRPC stub is connected on first use, so the pack's start-up
    (a second Python importing the SDKs) overlaps whatever the caller does meanwhile."""

    def __init__(self, process: subprocess.Popen[str]):
        self._process = process
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None

    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            assert self._process.stdout is not None
            first_line = self._process.stdout.readline().strip()
            if not first_line.isdigit():
                error = self._process.stderr.read() if self._process.stderr else ""
                raise RuntimeError(f"policy pack did not start: {first_line} {error}".strip())
            # From here on nobody reads the pack's output: drained, so that a policy printing more
            # than a pipe holds (64 KiB) cannot block the pack, and the preview with it.
            for stream in (self._process.stdout, self._process.stderr):
                if stream is not None:
                    threading.Thread(target=_discard, args=(stream,), daemon=True).start()
            self._channel = grpc.insecure_channel(f"127.0.0.1:{first_line}")
            grpc.channel_ready_future(self._channel).result(timeout=30)
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
        self._process.terminate()
        self._process.wait(timeout=10)
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def launched_pack(policies_dir: Path = POLICIES_DIR) -> Iterator[PackProcess]:
    """The policy pack running as its own process, as the engine starts it.

    ``-I``: neither the working directory nor PYTHONPATH is importable, so the pack sees only
    its own directory and the installed packages, as in a published pack's install directory.
    """
    process = subprocess.Popen(  # noqa: S603 (our own pack, run by our own interpreter)
        [sys.executable, "-I", "-u", "-m", "pulumi.policy", UNUSED_ENGINE_ADDRESS, str(policies_dir)],
        cwd=policies_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pack = PackProcess(process)
    try:
        yield pack
    finally:
        pack.stop()


@contextmanager
def analyzer(policies_dir: Path = POLICIES_DIR) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The started pack's stub, ready for the engine's calls."""
    with launched_pack(policies_dir) as pack:
        yield pack.stub()


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(to_wire(dict(values)), struct_pb2.Struct())


def _policy_config(config: Mapping[str, Any]) -> dict[str, analyzer_pb2.PolicyConfig]:
    """The CLI's policy-pack config file format, as the engine sends it."""
    converted: dict[str, analyzer_pb2.PolicyConfig] = {}
    for name, value in config.items():
        settings = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        level = settings.pop("enforcementLevel", None)
        converted[name] = analyzer_pb2.PolicyConfig(
            enforcementLevel=ENFORCEMENT_VALUES[level] if level else analyzer_pb2.MANDATORY,
            properties=_struct(settings),
        )
    return converted


def _options(registration: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=registration.protect, parent=registration.parent)


def _violations(diagnostics: Any) -> list[Violation]:
    return [
        Violation(
            policy=d.policyName,
            severity=SEVERITIES.get(d.severity, "unspecified"),
            enforcement=ENFORCEMENT.get(d.enforcementLevel, "advisory"),
            message=d.message,
            urn=d.urn,
        )
        for d in diagnostics
    ]


# Resource analysis answers, by stack config and request: the pack judges one resource from its
# request and the config alone, so a request it has answered gets the same answer again.
AnswerMemo = dict[bytes, list[Violation]]


def analyze(
    plan: Plan,
    policy_config: Mapping[str, Any] | None = None,
    stub: analyzer_pb2_grpc.AnalyzerStub | None = None,
    memo: AnswerMemo | None = None,
) -> Verdict:
    """The pack's verdict on a plan; starts the pack unless a running one's ``stub`` is given.

    ``memo`` keeps the answers to resource analyses across calls, for callers that judge many
    plans differing in a resource or two (the policy tests); stack analysis always runs.
    """
    if stub is None:
        with analyzer() as started:
            return analyze(plan, policy_config, started, memo)
    config = stack_policy_config(plan.stack) if policy_config is None else policy_config
    resources = [r for r in plan if r.type != "pulumi:pulumi:Stack"]
    info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=_policy_config(config)))
    stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(stack=plan.stack, project=PROJECT, dry_run=True))
    # The Python SDK always answers 0.0.1; the CLI takes the version from PulumiPolicy.yaml, as here.
    version = str(yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text()).get("version", info.version))
    verdict = Verdict(
        pack=info.name,
        version=version,
        policies=[p.name for p in info.policies],
        analyzed=len(resources),
        rules={
            p.name: Rule(
                p.name,
                p.description,
                SEVERITIES.get(p.severity, "unspecified"),
                p.remediation_steps,
                f"{p.framework.name} {p.framework.reference}".strip() if p.framework.name else "",
            )
            for p in info.policies
        },
    )
    config_key = json.dumps(config, sort_keys=True).encode() + plan.stack.encode()
    for registration in resources:
        # Resource analysis sees the inputs the program declared, as in a preview.
        request = analyzer_pb2.AnalyzeRequest(
            type=registration.type,
            properties=_struct(registration.inputs),
            urn=registration.urn,
            name=registration.name,
            options=_options(registration),
        )
        key = config_key + request.SerializeToString(deterministic=True)
        if memo is None or key not in memo:
            answer = [
                v if v.urn else Violation(v.policy, v.severity, v.enforcement, v.message, registration.urn)
                for v in _violations(stub.Analyze(request).diagnostics)
            ]
            if memo is None:
                verdict.violations += answer
                continue
            memo[key] = answer
        verdict.violations += memo[key]
    # Stack analysis sees every resource's state, with parents and property dependencies.
    stack = stub.AnalyzeStack(
        analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    type=r.type,
                    properties=_struct(r.outputs),
                    urn=r.urn,
                    name=r.name,
                    options=_options(r),
                    parent=r.parent,
                    dependencies=r.dependencies,
                    propertyDependencies={
                        key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                        for key, urns in r.property_dependencies.items()
                    },
                )
                for r in resources
            ]
        )
    )
    verdict.violations += _violations(stack.diagnostics)
    return verdict

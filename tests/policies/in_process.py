"""The policy pack served in this process, for the many firing cases: pulumi_policy's own servicer
(the code behind the pack's gRPC port) called directly, as ``preview.analyzer.analyze`` calls a stub.

The servicer decodes every resource of a stack analysis once per stack policy; here each
resource's properties are decoded once per call and shared by the stack policies (which only
read them). What the engine's path adds (the pack's own process, isolated from the repository,
and gRPC) stays covered by the tests that judge the real plans over gRPC, and
``test_the_pack_in_process_gives_the_verdict_it_gives_over_grpc`` holds the two equal.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from typing import Any

from pulumi_policy import EnforcementLevel

from policies.guardrails.common import PACK_NAME
from policies.guardrails.pack import POLICIES

# The servicer and the decoders it calls by module-level name (untyped, private to pulumi_policy).
pack_runtime: Any = importlib.import_module("pulumi_policy.policy")


def _once_per_call(function: Callable[[Any], Any], cache: dict[int, tuple[Any, Any]]) -> Callable[..., Any]:
    def remembered(value: Any, *rest: Any) -> Any:
        if rest:
            return function(value, *rest)
        if id(value) not in cache:
            # The argument is kept too, so its id is not reused while the call lasts.
            cache[id(value)] = (value, function(value))
        return cache[id(value)][1]

    return remembered


class _JsonFormat:
    def __init__(self, cache: dict[int, tuple[Any, Any]]):
        self.MessageToDict = _once_per_call(pack_runtime.json_format.MessageToDict, cache)

    def __getattr__(self, name: str) -> Any:
        return getattr(pack_runtime.json_format, name)


class _Snapshot:
    """A stack analysis request read once: the servicer walks every resource once per stack
    policy, and reading a protobuf message's fields again costs more than the policies do."""

    def __init__(self, request: Any) -> None:
        self.resources = [_Resource(r) for r in request.resources]


class _Resource:
    def __init__(self, r: Any) -> None:
        self.type, self.urn, self.name, self.parent = r.type, r.urn, r.name, r.parent
        # The same message objects as the request's: the decoders' caches key on them.
        self.properties, self.options, self.provider = r.properties, r.options, r.provider
        self.dependencies = list(r.dependencies)
        self.propertyDependencies = {k: _Urns(list(v.urns)) for k, v in r.propertyDependencies.items()}
        self.HasField = r.HasField


class _Urns:
    def __init__(self, urns: list[str]) -> None:
        self.urns = urns


class _Servicer(pack_runtime._PolicyAnalyzerServicer):  # type: ignore[misc]
    """The same servicer the pack serves over gRPC, with the pack's policies and settings."""

    def __init__(self) -> None:
        super().__init__(PACK_NAME, "0.0.1", list(POLICIES), EnforcementLevel.MANDATORY)

    def AnalyzeStack(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        with self._decoded_once():
            return super().AnalyzeStack(_Snapshot(request), context)

    @contextlib.contextmanager
    def _decoded_once(self) -> Iterator[None]:
        caches: tuple[dict[int, tuple[Any, Any]], ...] = ({}, {}, {}, {}, {})
        saved = (pack_runtime.json_format, pack_runtime.deserialize_properties, pack_runtime.unknown_checking_proxy)
        pack_runtime.json_format = _JsonFormat(caches[0])
        pack_runtime.deserialize_properties = _once_per_call(saved[1], caches[1])
        pack_runtime.unknown_checking_proxy = _once_per_call(saved[2], caches[2])
        # A resource's options and provider, read from its request alike for every stack policy.
        self._get_resource_options = _once_per_call(super()._get_resource_options, caches[3])
        self._get_provider_resource = _once_per_call(super()._get_provider_resource, caches[4])
        try:
            yield
        finally:
            pack_runtime.json_format, pack_runtime.deserialize_properties, pack_runtime.unknown_checking_proxy = saved
            del self._get_resource_options, self._get_provider_resource


class InProcessPack:
    """The stub's calling convention (method(request), no gRPC context) over the servicer."""

    def __init__(self) -> None:
        self._servicer = _Servicer()

    def GetAnalyzerInfo(self, request: Any) -> Any:  # noqa: N802 (gRPC method names, as the stub's)
        return self._servicer.GetAnalyzerInfo(request, None)

    def Configure(self, request: Any) -> Any:  # noqa: N802
        return self._servicer.Configure(request, None)

    def ConfigureStack(self, request: Any) -> Any:  # noqa: N802
        return self._servicer.ConfigureStack(request, None)

    def Analyze(self, request: Any) -> Any:  # noqa: N802
        return self._servicer.Analyze(request, None)

    def AnalyzeStack(self, request: Any) -> Any:  # noqa: N802
        return self._servicer.AnalyzeStack(request, None)

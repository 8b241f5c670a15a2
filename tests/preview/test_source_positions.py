"""The engine's stack walk sends what the SDK's own sends, for every resource of both stacks."""

from __future__ import annotations

import pytest
from pulumi.runtime.proto import source_pb2

from preview import engine, source_positions
from preview.plan import Plan


def test_the_sdk_still_walks_its_stack_where_the_engine_replaces_it() -> None:
    assert callable(source_positions.SDK_STACK_TRACE), "pulumi.runtime.resource._get_stack_trace is gone"


def walked_by_both(stack: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[source_pb2.StackTrace, ...]]:
    """Each registration's stack as the SDK walks it and as the engine does, from the same frame."""
    pairs: list[tuple[source_pb2.StackTrace, ...]] = []

    def both() -> source_pb2.StackTrace:
        # Called where the SDK calls its own; both skip this frame (it is no constructor).
        ours = source_positions.stack_trace()
        assert source_positions.SDK_STACK_TRACE is not None
        pairs.append((source_positions.SDK_STACK_TRACE(), ours))
        return ours

    monkeypatch.setattr(source_positions, "install", lambda: None)
    monkeypatch.setattr("pulumi.runtime.resource._get_stack_trace", both)
    plan: Plan = engine.run_program(stack)
    assert len(pairs) >= len(plan.registrations) > 100
    return pairs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_engines_walk_sends_the_sdks_frames(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = walked_by_both(stack, monkeypatch)
    assert all(sdk == ours for sdk, ours in pairs)
    # Not vacuous: the frames reach the program's own files with their lines.
    assert any(
        frame.pc.uri.endswith("/__main__.py") and frame.pc.line > 0 for _sdk, ours in pairs for frame in ours.frames
    )


def test_a_constructor_called_outside_a_resource_gets_no_stack() -> None:
    assert source_positions.SDK_STACK_TRACE is not None
    assert source_positions.stack_trace() == source_positions.SDK_STACK_TRACE() == source_pb2.StackTrace()

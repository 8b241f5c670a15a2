"""Where each resource was declared: the Python SDK's stack walk, without its per-frame costs.

For every resource it registers, the SDK sends the stack of its callers (the engine keeps the
file and line; the SARIF log and the preview point at them). The SDK's own walk,
``pulumi.runtime.resource._get_stack_trace``, builds it with ``traceback.extract_stack``, which
reads the source line of every frame, then turns every frame's path into a URI afresh: about a
fifth of a run of the program under the tests' deep stacks. This walk sends the same frames
(``tests/preview/test_source_positions.py`` holds it equal to the SDK's) and remembers each
file's URI.
"""

from __future__ import annotations

import functools
import pathlib
import sys
from collections.abc import Callable
from types import FrameType

import pulumi.runtime.resource
from pulumi.runtime.proto import source_pb2

# Frames named __init__ from the innermost out: Resource, then CustomResource or
# ComponentResource, then the concrete resource class. The caller of the third is the declaration.
CONSTRUCTOR_FRAMES = 3


@functools.cache
def _file_uri(filename: str) -> str | None:
    if not filename:
        return None
    try:
        return pathlib.Path(filename).as_uri()
    except Exception:  # as the SDK's: a relative name such as "<frozen runpy>" has no position
        return None


def stack_trace() -> source_pb2.StackTrace:
    """The callers of the resource's constructor, innermost first, each as file URI and line."""
    if getattr(sys, "tracebacklimit", None) is not None:
        # traceback.extract_stack keeps only that many frames; the SDK's own walk, then.
        return SDK_STACK_TRACE() if SDK_STACK_TRACE is not None else source_pb2.StackTrace()
    frame: FrameType | None = sys._getframe(1)
    constructors = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            constructors += 1
            if constructors == CONSTRUCTOR_FRAMES:
                break
        frame = frame.f_back
    if frame is None or frame.f_back is None:
        return source_pb2.StackTrace()
    frames = []
    caller: FrameType | None = frame.f_back
    while caller is not None:
        uri, line = _file_uri(caller.f_code.co_filename), caller.f_lineno
        position = source_pb2.SourcePosition(uri=uri, line=line) if uri is not None and line is not None else None
        frames.append(source_pb2.StackFrame(pc=position))
        caller = caller.f_back
    return source_pb2.StackTrace(frames=frames)


# The SDK's walk, private to it: should an upgrade rename or drop it, the engine leaves the SDK as
# it is (the preview still runs) and tests/preview/test_source_positions.py fails.
SDK_STACK_TRACE: Callable[[], source_pb2.StackTrace] | None = getattr(pulumi.runtime.resource, "_get_stack_trace", None)


def install() -> None:
    """The SDK's walk replaced by this one, in this process (the offline engine's only)."""
    if SDK_STACK_TRACE is not None:
        pulumi.runtime.resource._get_stack_trace = stack_trace

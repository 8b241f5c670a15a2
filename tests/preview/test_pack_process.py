"""A started pack's output is drained: a policy that prints more than a pipe holds never blocks it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from preview.analyzer import PackProcess

# Serves gRPC as the pack does, then prints a megabyte to each stream, as a chatty policy could.
CHATTY_PACK = textwrap.dedent(
    """
    import sys
    from concurrent import futures
    import grpc
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.readline()
    for stream in (sys.stdout, sys.stderr):
        stream.write("x" * (1 << 20))
        stream.flush()
    open(sys.argv[1], "w").write("printed all")
    server.wait_for_termination()
    """
)


def test_a_pack_printing_more_than_a_pipe_holds_is_not_blocked(tmp_path: Path) -> None:
    done = tmp_path / "done"
    process = subprocess.Popen(
        [sys.executable, "-c", CHATTY_PACK, str(done)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pack = PackProcess(process)
    try:
        pack.stub()
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.close()
        # Undrained, the first megabyte would fill the pipe and the file would never be written.
        for _ in range(200):
            if done.exists():
                break
            time.sleep(0.05)
        assert done.read_text() == "printed all"
    finally:
        pack.stop()

"""Theo under a real gunicorn on loopback, for end-to-end tests and the benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_theo(
    env: Mapping[str, str],
    *,
    stdout: int | IO[Any] = subprocess.PIPE,
    stderr: int | IO[Any] = subprocess.STDOUT,
    extra_args: tuple[str, ...] = (),
    new_session: bool = False,
) -> tuple[str, subprocess.Popen]:
    """Start `gunicorn app:app` as production does, with `env` on top of ours; wait for /health."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "app:app", "--config", "gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}", *extra_args,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=stdout,
        stderr=stderr,
        text=True,
        start_new_session=new_session,  # a process group the test can SIGKILL whole
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
    except BaseException:
        stop(process)
        raise
    return base, process


def wait_healthy(base: str, process: subprocess.Popen, seconds: float = 30) -> None:
    """Poll /health until it answers 200; fail with gunicorn's output if it exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited ({process.returncode}):\n{_output(process)}")
        try:
            if requests.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # the socket is bound before the worker has loaded the app
        time.sleep(0.1)
    raise AssertionError(f"Theo did not become healthy in {seconds:.0f} s")


def stop(process: subprocess.Popen) -> str:
    """Stop gunicorn and return what it printed to a pipe (once; later calls return "")."""
    if process.poll() is None:
        process.terminate()
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    except ValueError:  # the pipes were already read by an earlier stop()
        return ""
    return (out or "") + (err or "")


def _output(process: subprocess.Popen) -> str:
    stream = process.stdout or process.stderr
    return stream.read() if stream else "(output not captured)"

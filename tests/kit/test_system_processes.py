"""Child processes run under the supervisor: none outlives the kit, whatever ends it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kit_helpers import process_alive
from shimkit.system.processes import run_child
from shimkit.system.supervisor import descendants

REPO = Path(__file__).resolve().parents[2]

# the kit side: runs a child (via run_child) that starts a server in its own session, as the
# tracking tests' mlflow fixture does, writes the server's pid, then waits for ever
_KIT_SIDE = """
import pathlib, sys
from shimkit.system.processes import run_child
from shimkit.system.supervisor import descendants
child = (
    "import subprocess, sys, time\\n"
    "server = subprocess.Popen([sys.executable, '-m', 'http.server', '0'],"
    " start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\\n"
    "open(sys.argv[1], 'w').write(str(server.pid))\\n"
    "time.sleep(600)\\n"
)
run_child([sys.executable, "-c", child, sys.argv[1]], pathlib.Path("."), {"PATH": "/usr/bin:/bin"},
          timeout=float(sys.argv[2]) if len(sys.argv) > 2 else None)
"""


def _wait_for(predicate: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _start_kit(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    pid_file = tmp_path / "server.pid"
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts")}
    kit = subprocess.Popen([sys.executable, "-c", _KIT_SIDE, str(pid_file), *args], env=env)
    assert _wait_for(lambda: pid_file.is_file() and pid_file.read_text(), 30), "no server started"
    return kit, int(pid_file.read_text())


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_grandchild_server_dies_when_the_kit_is_killed(tmp_path: Path) -> None:
    kit, server = _start_kit(tmp_path)
    assert process_alive(server)
    kit.send_signal(signal.SIGKILL)
    kit.wait()
    assert _wait_for(lambda: not process_alive(server), 5), "the grandchild server outlived the kit"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_timeout_ends_the_whole_tree(tmp_path: Path) -> None:
    kit, server = _start_kit(tmp_path, "2")
    assert kit.wait(60) != 0  # run_child raised TimeoutExpired
    assert not process_alive(server)


def test_output_status_and_signals_come_through(tmp_path: Path) -> None:
    done = run_child(["sh", "-c", "echo out; echo err >&2; exit 3"], tmp_path, dict(os.environ))
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")
    killed = run_child(["sh", "-c", "kill -TERM $$"], tmp_path, dict(os.environ))
    assert killed.returncode == -signal.SIGTERM


def test_a_command_that_cannot_start_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_child(["no-such-command-here"], tmp_path, dict(os.environ))


def test_a_timeout_raises_after_ending_the_child(tmp_path: Path) -> None:
    marker = tmp_path / "late"
    with pytest.raises(subprocess.TimeoutExpired):
        run_child(["sh", "-c", f"sleep 1; touch {marker}"], tmp_path, dict(os.environ), 0.2)
    time.sleep(1.5)
    assert not marker.exists()


# a process whose main thread has ended while another thread runs on: /proc shows it as a zombie
# (as a killed multithreaded test run shows while its threads exit), and its server is below it
_ZOMBIE_LEADER = """
import ctypes, os, subprocess, sys, threading, time
server = subprocess.Popen(["sleep", "600"], start_new_session=True)
open(sys.argv[1], "w").write(str(server.pid))
threading.Thread(target=time.sleep, args=(600,)).start()
ctypes.CDLL(None).syscall(int(sys.argv[2]), 0)  # exit: the calling thread only
"""
_SYS_EXIT = {"x86_64": 60, "aarch64": 93}


@pytest.mark.skipif(
    os.uname().machine not in _SYS_EXIT or not Path("/proc/self/stat").exists(),
    reason="needs Linux's /proc and a known number for the exit system call",
)
def test_what_lies_below_a_zombie_leader_is_still_found(tmp_path: Path) -> None:
    """The supervisor ends what its command started: a process found below a killed test run
    that is still exiting (its leader a zombie, its threads not yet gone) is ended too."""
    pid_file = tmp_path / "server.pid"
    syscall = str(_SYS_EXIT[os.uname().machine])
    holder = subprocess.Popen([sys.executable, "-c", _ZOMBIE_LEADER, str(pid_file), syscall])
    try:
        assert _wait_for(lambda: pid_file.is_file() and pid_file.read_text(), 30)
        server = int(pid_file.read_text())
        assert _wait_for(lambda: not process_alive(holder.pid), 10), "the main thread did not end"
        assert holder.pid in descendants(os.getpid())
        assert server in descendants(os.getpid())
    finally:
        holder.kill()
        holder.wait()
        if pid_file.is_file() and pid_file.read_text():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)

"""Running ffmpeg and ffprobe: located once, time-limited, killed when they overrun.

Every run is a process group of its own, so an overrun is killed with
whatever it started, and waited for, so no zombie is left behind.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import threading

from mediacaster.errors import Unavailable

NICE = shutil.which("nice")
PAUSE_CHECK = 0.1  # seconds between looks at whether a paused run may go on


class ToolFailed(Exception):
    """The tool exited with an error; ``reason`` is the last line it printed, with
    file names in place of the absolute paths it was given (errors are shown to
    people on the network, who need not learn the NAS's layout)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class ToolTimeout(Exception):
    """The tool ran longer than its time limit and was killed."""


class ToolInterrupted(Unavailable):
    """The app is stopping: the run was killed, or refused, by :meth:`Tool.close`.
    A request that needed it answers 503: the app is back after its restart."""

    code = "stopping"


class Tool:
    """``ffmpeg`` or ``ffprobe``, from ``folder`` or the PATH; ``path`` is None when missing."""

    def __init__(self, name, folder=""):
        self.name = name
        self.path = shutil.which(os.path.join(folder, name) if folder else name)
        self._running = set()  # processes not yet waited for, for close()
        self._closed = False
        self._lock = threading.Lock()

    @property
    def available(self):
        return self.path is not None

    def run(self, args, timeout, input=None, niceness=0, pause_while=None):
        """Run with ``args``; return its standard output, or raise ToolFailed, ToolTimeout
        or ToolInterrupted. ``niceness``: a lower priority, for work nobody waits on;
        ``pause_while``: () -> whether it should stop for now (checked every
        PAUSE_CHECK seconds; its time stopped counts in ``timeout``)."""
        if self._closed:
            raise ToolInterrupted(f"{self.name} is not started: the app is stopping")
        nice = [NICE, "-n", str(niceness)] if niceness and NICE else []
        process = subprocess.Popen(
            [*nice, self.path, *args],
            stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        with self._lock:
            self._running.add(process)
        paused = _Paused(process, pause_while) if pause_while else contextlib.nullcontext()
        try:
            with paused:
                stdout, stderr = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise ToolTimeout(f"{self.name} took longer than {timeout:g} s") from None
        except BaseException:
            _kill(process)
            raise
        finally:
            with self._lock:
                self._running.discard(process)
        if self._closed:
            raise ToolInterrupted(f"{self.name} was stopped: the app is stopping")
        if process.returncode != 0:
            lines = stderr.decode(errors="replace").strip().splitlines()
            raise ToolFailed(without_paths(lines[-1], args) if lines else f"{self.name} failed")
        return stdout

    def close(self):
        """Kill every run still going and refuse new ones (the app is stopping)."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        for process in running:
            _kill(process, wait=False)


def without_paths(message, args):
    for arg in sorted((a for a in args if isinstance(a, str) and os.path.isabs(a)), key=len, reverse=True):
        printed = os.fsencode(arg).decode(errors="replace")  # as the tool printed it
        message = message.replace(printed, os.path.basename(printed))
    return message


class _Paused:
    """Stops a run's process group (SIGSTOP) while ``condition()`` holds, and lets it go
    on (SIGCONT) when it no longer does, or when the block ends."""

    def __init__(self, process, condition):
        self.process, self.condition = process, condition
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="tool-pause", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()

    def _watch(self):
        stopped = False
        while not self._done.wait(PAUSE_CHECK):
            wanted = bool(self.condition())
            if wanted != stopped:
                stopped = signal_group(self.process, signal.SIGSTOP if wanted else signal.SIGCONT) and wanted
        if stopped:
            signal_group(self.process, signal.SIGCONT)


def signal_group(process, signum):
    """Signal a started process's group, unless it was waited for already (its pid may
    be another's by now) or is gone; True when sent."""
    if process.returncode is not None:
        return False
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _kill(process, wait=True):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if wait:
        process.communicate()

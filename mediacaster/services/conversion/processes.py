"""The ffmpeg processes of conversions, started and watched alike by the app's jobs and
by the workers' tasks (``mediacaster.worker``): a process group of its own that dies with
the thread that started it, its processor time, and signals to its whole group."""

import ctypes
import signal
import subprocess

import psutil

from mediacaster.services.conversion.cluster import CeleryRun
from mediacaster.services.ffmpeg import signal_group

PR_SET_PDEATHSIG = 1

try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # not Linux: no parent-death signal
    _libc = None


def _die_with_parent():
    """Run in the child before ffmpeg: the kernel kills it if the app dies."""
    if _libc is not None and hasattr(_libc, "prctl"):
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(ffmpeg, args, folder):
    """Start ``ffmpeg`` with ``args`` writing into ``folder`` (its errors into
    ``ffmpeg.log`` there), a process group of its own that dies with the thread that
    started it; the app's jobs and the workers' tasks start it alike."""
    with open(folder / "ffmpeg.log", "wb") as errors:
        return subprocess.Popen(
            [ffmpeg, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def cpu_seconds(process):
    """Processor time the job's ffmpeg used so far; None once it ended, or if unknown."""
    if isinstance(process, CeleryRun):
        return process.cpu_seconds()
    if process.returncode is not None:
        return None
    try:
        times = psutil.Process(process.pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system


def signal_process(process, signum):
    """Signal the job's process group, unless it was waited for already (its pid may
    be another's by now); True when sent."""
    if isinstance(process, CeleryRun):
        return process.signal(signum)
    return signal_group(process, signum)

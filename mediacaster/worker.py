"""A conversion worker: runs the app's ffmpeg jobs on this machine, through Celery.

    mediacaster-worker -c worker.ini
    MEDIACASTER_WORKER_CONFIG=worker.ini celery -A mediacaster.worker worker

Its settings (:class:`mediacaster.settings.WorkerSettings`) come from the ini
file's ``[worker]`` section and the environment. It takes jobs from its
encoder's queue (and copied streams from everyone's), one per slot; builds the
app's command line (:func:`~mediacaster.services.conversion.commands.hls_command`)
with the app's paths mapped to its own, and runs ffmpeg into the job's folder in
the shared segment cache, where the app picks up each finished segment. It
renews each run's lease and obeys the app's word (pause, resume, stop); a run
the app stopped following, or a worker that is stopping, kills its ffmpeg.
See :mod:`mediacaster.services.conversion.cluster` for the keys, docs/workers.md
for a household's set-up.
"""

import configparser
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis
from celery import signals
from celery.worker import state as worker_state
from kombu import Exchange, Queue

from mediacaster.services.conversion import cluster
from mediacaster.services.conversion.commands import Job, hls_command
from mediacaster.services.conversion.processes import cpu_seconds, signal_process, spawn
from mediacaster.settings import SettingsError, load_worker

CONFIG_ENV = "MEDIACASTER_WORKER_CONFIG"
SECTION = "worker"
STOPPING = "mediacaster:worker-stopping:"  # + name: the worker's runs end now

log = logging.getLogger(__name__)


def read_settings(environ=None):
    """The worker's settings from the ini file ``MEDIACASTER_WORKER_CONFIG`` names and the environment."""
    environ = os.environ if environ is None else environ
    ini = {}
    path = environ.get(CONFIG_ENV)
    if path:
        parser = configparser.ConfigParser(interpolation=None)
        if not parser.read(path):
            raise SettingsError(f"{CONFIG_ENV} = {path!r}: no such file")
        ini = dict(parser[SECTION]) if parser.has_section(SECTION) else {}
    settings = load_worker(ini, environ)
    if shutil.which(os.path.join(settings.ffmpeg_dir, "ffmpeg") if settings.ffmpeg_dir else "ffmpeg") is None:
        raise SettingsError("ffmpeg is not installed on this machine (install Debian's ffmpeg)")
    return settings


def _settings_or_exit():
    try:
        return read_settings()
    except SettingsError as error:
        print(f"mediacaster-worker: invalid setting: {error}", file=sys.stderr)
        raise SystemExit(2) from None


settings = _settings_or_exit()
FFMPEG = shutil.which(os.path.join(settings.ffmpeg_dir, "ffmpeg") if settings.ffmpeg_dir else "ffmpeg")
QUEUES = cluster.queues_of(settings.encoder)
app = cluster.celery_app(
    settings.broker_url,
    # Each queue on an exchange of its own name, as the app sends to it: a job for one
    # encoder never lands in another's queue.
    task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
    task_default_queue=QUEUES[0],
    worker_concurrency=settings.slots,
    worker_pool="prefork",
)
_client = None  # each pool process's own connection, made after the fork


def _redis():
    global _client
    if _client is None:
        _client = cluster.redis_client(settings.broker_url)
    return _client


@app.task(name=cluster.TASK, bind=True)
def convert(self, run_id, fields, folder):
    """Run the app's job ``fields`` into ``folder`` (the app's paths) until it ends or
    the app stops it; ffmpeg's exit code."""
    return run(self.request.hostname, run_id, fields, folder)


def run(worker, run_id, fields, folder):
    # Its own connection, named after the run: the app sees it close the moment this
    # process dies (see cluster.DISCONNECT_GRACE).
    client = cluster.redis_client(settings.broker_url, cluster.alive_name(run_id))
    try:
        return _run(client, worker, run_id, fields, folder)
    finally:
        client.close()


def _run(client, worker, run_id, fields, folder):
    if client.get(cluster.control_key(run_id)) in (None, b"stop"):
        return None  # stopped (or forgotten) before it was taken
    job = Job(**{**fields, "source": cluster.map_path(fields["source"], settings.paths)})
    state = {"worker": worker, "state": "running", "cpu": 0.0, "held": True}
    if job.video == "convert" and job.encoder != settings.encoder:
        return _end(client, run_id, state, 1, f"the worker {worker} has no {job.encoder} encoder")
    folder = Path(cluster.map_path(folder, settings.paths))
    state["command"] = args = hls_command(job, str(folder))
    try:
        process = spawn(FFMPEG, args, folder)
    except OSError as error:
        return _end(client, run_id, state, 1, f"ffmpeg could not be started on {worker}: {error.strerror}")
    why, paused, heard = None, False, time.monotonic()
    try:
        while process.poll() is None:
            state["cpu"] = cpu_seconds(process)
            try:
                with client.pipeline() as pipe:
                    pipe.set(cluster.state_key(run_id), json.dumps(state), ex=cluster.LEASE_TTL)
                    pipe.get(cluster.control_key(run_id))
                    pipe.exists(STOPPING + worker)
                    _, want, stopping = pipe.execute()
                heard = time.monotonic()
            except redis.RedisError:
                # The broker is away: the app cannot follow the run, and sends it again elsewhere.
                want, stopping = b"run" if time.monotonic() - heard < cluster.CONTROL_TTL else None, 0
            if stopping:
                why = f"the worker {worker} is stopping"
            elif want in (None, b"stop"):
                why = "stopped by the app" if want else "the app stopped following it"
            if why is not None:
                break
            if (want == b"pause") != paused:
                paused = (
                    signal_process(process, signal.SIGSTOP if want == b"pause" else signal.SIGCONT) != paused
                )
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=cluster.LEASE_SECONDS)
    finally:
        signal_process(process, signal.SIGKILL)
        code = process.wait()
    if settings.paths:  # the app reads ffmpeg's last words, and names its own paths only
        log_path = folder / "ffmpeg.log"
        with contextlib.suppress(OSError):
            log_path.write_text(cluster.unmap_text(log_path.read_text(errors="replace"), settings.paths))
    return _end(client, run_id, state, code, why)


def _end(client, run_id, state, code, why):
    state.update(state="ended", code=code, why=why)
    with contextlib.suppress(redis.RedisError):  # else the app finds the lease lapsed
        client.set(cluster.state_key(run_id), json.dumps(state), ex=cluster.ENDED_TTL)
    return code


RUNS_LOOK_SECONDS = 0.1  # how often the heartbeat looks whether the worker's runs changed


def taken_runs():
    """Ids of the tasks this worker has taken and not finished (the main process's
    account, which the pool's processes report to, and which drops a task whose
    process died)."""
    while True:
        try:
            return sorted(request.id for request in worker_state.reserved_requests)
        except RuntimeError:  # changed by the consumer while read: read again
            continue


class Heartbeat:
    """Says, with a short expiry, that this worker is alive, what it can do and which runs
    it has: every second, and at once when its runs change. It holds a broker connection
    named after the worker, which the kernel closes the moment the process dies."""

    def __init__(self, name):
        self.name = name
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self.client = cluster.redis_client(settings.broker_url, cluster.worker_name(name))

    def _beat(self):
        about = {
            "name": self.name,
            "encoders": [settings.encoder],
            "queues": QUEUES,
            "slots": settings.slots,
            "held": True,  # its named connection tells when its process died
        }
        said = 0.0
        while not self.stopped.is_set():
            runs = taken_runs()
            if runs != about.get("runs") or time.monotonic() - said >= cluster.HEARTBEAT_SECONDS:
                about["runs"] = runs
                try:
                    self.client.set(cluster.WORKER_KEY + self.name, json.dumps(about), ex=cluster.WORKER_TTL)
                    said = time.monotonic()
                except redis.RedisError as error:
                    log.warning("the broker is not answering: %s", error)
                    self.stopped.wait(cluster.HEARTBEAT_SECONDS)
            self.stopped.wait(RUNS_LOOK_SECONDS)

    def stop(self):
        """Gone from the list; the runs under way end now (the app sends them elsewhere)."""
        self.stopped.set()
        self.thread.join(timeout=5)
        try:
            self.client.delete(cluster.WORKER_KEY + self.name)
            self.client.set(STOPPING + self.name, 1, ex=cluster.ENDED_TTL)
        except redis.RedisError:
            pass


_heartbeat = None


@signals.worker_ready.connect
def _ready(sender, **_):
    global _heartbeat
    _heartbeat = Heartbeat(sender.hostname)
    with contextlib.suppress(redis.RedisError):
        _heartbeat.client.delete(STOPPING + sender.hostname)  # a restart under the same name
    _heartbeat.thread.start()
    log.info(
        "worker %s takes conversions from %s with %d slots",
        sender.hostname,
        ", ".join(QUEUES),
        settings.slots,
    )


@signals.worker_shutting_down.connect
def _stopping(**_):
    if _heartbeat is not None:
        _heartbeat.stop()

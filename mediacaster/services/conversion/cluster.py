"""Conversion jobs run on worker machines through Celery (``conversion_backend = celery``).

The app sends each ffmpeg run as a task (the job's :class:`~.commands.Job`, its
folder in the shared segment cache) to the queue of the encoder it wants; a
worker (:mod:`mediacaster.worker`) builds the same command line, runs it into
that folder, and the app's job manager moves each finished segment into the
cache as it does for a local ffmpeg. The two sides speak through three Redis
keys beside the broker's own:

- ``mediacaster:worker:<name>``: what a live worker can do (encoders, slots)
  and the runs it has taken and not finished, by its own word: renewed every
  second (at once when its runs change) with a short expiry, so that a worker
  switched off drops out; while it lives, the worker holds a broker connection
  named after it, so that one whose process died drops out at once. The job
  limit is the free slots these say.
- ``mediacaster:run:<id>:control``: what the app wants of a run (``run``,
  ``pause``, ``stop``), renewed while the app follows it: a run the app stopped
  asking for (the app died) is stopped by its worker.
- ``mediacaster:run:<id>:state``: the run's lease, renewed by its worker (who
  runs it, its processor time; once ended, ffmpeg's exit code): a lease that
  lapses means the worker is gone, and the job is restarted elsewhere.
"""

import json
import logging
import re
import signal
import time
import uuid

import redis
from celery import Celery

from mediacaster.services.conversion.errors import ConversionUnavailable

log = logging.getLogger(__name__)

TASK = "mediacaster.convert"
WORKER_KEY = "mediacaster:worker:"
HEARTBEAT_SECONDS = 1.0  # how often a worker says it is alive
WORKER_TTL = 4  # seconds a worker's word lasts: one switched off is gone from the list then
LEASE_SECONDS = 0.25  # how often a run's worker renews its lease
LEASE_TTL = 3  # seconds without renewal after which a run's worker is taken for gone
CONTROL_TTL = 10  # seconds the app's word to a run lasts unless renewed
ENDED_TTL = 60
POLL_SECONDS = 0.1  # how often the app looks at a run's lease
# A run's worker holds a connection to the broker named after the run while it runs. When
# its process dies (killed, crashed), the kernel closes that connection at once: the run is
# taken for gone once the name has been missing this long (longer than a renewal, so that a
# worker reconnecting after the broker's own restart names it again first), not after the
# lease's expiry, which is for a machine switched off or a network gone (no close is seen).
ALIVE_NAME = "mediacaster-run-"
WORKER_NAME = "mediacaster-worker-"  # + its name: the connection a live worker holds
DISCONNECT_GRACE = 0.5
# Seconds a sent task may wait for a worker to take it: slots are counted before sending,
# so this is a worker that died with it, or took it and lost it.
TAKE_SECONDS = 6.0
NO_WORKER_RETRY_AFTER = 10
ANY_QUEUE = "mediacaster.any"  # copied streams: any worker runs them


def queue_for(job):
    """The queue of a job (a :class:`~.commands.Job`): the encoder's when it converts video."""
    return f"mediacaster.{job.encoder}" if job.video == "convert" else ANY_QUEUE


def queues_of(encoder):
    """The queues a worker with ``encoder`` takes jobs from."""
    return [f"mediacaster.{encoder}", ANY_QUEUE]


def control_key(run_id):
    return f"mediacaster:run:{run_id}:control"


def state_key(run_id):
    return f"mediacaster:run:{run_id}:state"


def map_path(path, pairs):
    """The worker's path of the app's ``path``, by the longest mapped folder that holds it
    (``pairs``: ``(app path, worker path)``, longest first, as the settings give them)."""
    for app_path, worker_path in pairs:
        if path == app_path or path.startswith(app_path.rstrip("/") + "/"):
            return worker_path + path[len(app_path.rstrip("/")) :]
    return path


def unmap_text(text, pairs):
    """``text`` (ffmpeg's messages on a worker) with the worker's mapped folders written
    as the app's: the app reads them, and says its own paths only."""
    for app_path, worker_path in sorted(pairs, key=lambda pair: len(pair[1]), reverse=True):
        if worker_path.rstrip("/"):  # not the whole disk: each absolute path would match
            pattern = re.escape(worker_path.rstrip("/")) + r"(?=[/\s'\":,]|$)"
            text = re.sub(pattern, lambda _, app_path=app_path: app_path.rstrip("/"), text)
    return text


def kombu_url(url):
    """The broker URL for Celery: redis-py's ``unix://`` is kombu's ``redis+socket://``."""
    return "redis+socket://" + url[len("unix://") :] if url.startswith("unix://") else url


def broker_url(settings, store):
    """The broker the app sends jobs through: ``mediacaster.broker_url``, else the app's Redis
    (a ``unix://`` socket for the embedded one, which only workers on this machine reach)."""
    return settings.broker_url or settings.redis_url or f"unix://{store.client.socket_file}"


def redis_client(url, name=None):
    """A client of the broker; with ``name``, one connection that carries that name."""
    if name is None:
        return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return redis.Redis.from_url(
        url, socket_timeout=2, socket_connect_timeout=2, client_name=name, single_connection_client=True
    )


def alive_name(run_id):
    """The name of the connection a run's worker holds while it runs."""
    return ALIVE_NAME + run_id


def worker_name(name):
    """The name of the connection a live worker holds."""
    return WORKER_NAME + name


def client_names(answer):
    """The connection names of a pipelined CLIENT LIST, or None when the broker keeps
    its client list to itself."""
    if isinstance(answer, Exception):
        return None
    return {client.get("name") for client in answer}


def celery_app(url, **conf):
    """A Celery app on the broker at ``url`` (a Redis URL), configured alike on both sides."""
    app = Celery("mediacaster", broker=kombu_url(url), set_as_current=False)
    app.conf.update(
        # A task is taken off the queue once it runs, one at a time per slot: a busy
        # worker holds no job another could start, and a worker that dies loses only
        # what it ran (the app sends that again, from where it stopped).
        task_acks_late=True,
        task_reject_on_worker_lost=False,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2,
        broker_transport_options={"max_retries": 1, "socket_timeout": 2, "socket_connect_timeout": 2},
        task_publish_retry=False,
        worker_hijack_root_logger=False,
        worker_send_task_events=True,  # Flower shows the tasks
        **conf,
    )
    return app


class Cluster:
    """The app's side: the live workers, and runs sent to them."""

    def __init__(self, broker_url):
        self.redis = redis_client(broker_url)
        self.celery = celery_app(broker_url)

    def reachable(self):
        try:
            return bool(self.redis.ping())
        except redis.RedisError:
            return False

    def workers(self):
        """The live workers: dicts of name, encoders, queues, slots and the ids of the runs
        they have taken and not finished ([] when the broker is down). One whose process
        died (its named connection gone) is left out before its key expires."""
        try:
            keys = sorted(self.redis.scan_iter(match=WORKER_KEY + "*", count=100))
            if not keys:
                return []
            with self.redis.pipeline() as pipe:
                pipe.mget(keys)
                pipe.client_list()
                values, clients = pipe.execute(raise_on_error=False)
            if isinstance(values, Exception):
                raise values
        except redis.RedisError:
            return []
        names = client_names(clients)
        workers = []
        for value in values:
            try:
                about = json.loads(value)
            except (TypeError, ValueError):
                continue  # expired meanwhile, or not ours
            if names is None or not about.get("held") or worker_name(about.get("name")) in names:
                workers.append(about)
        return workers

    def free_slots(self, queue, runs):
        """Slots free for a job of ``queue`` by the live workers' own word, less the
        app's ``runs`` (its :class:`CeleryRun` s, ended ones too) sent and not yet listed
        by a worker; None when no live worker takes ``queue``. A run the app knows ended
        frees its slot at once, before its worker says so."""
        workers = self.workers()
        if not any(queue in worker.get("queues", ()) for worker in workers):
            return None
        ended = {run.id for run in runs if run.returncode is not None}
        listed, free = set(), 0
        for worker in workers:
            busy = set(worker.get("runs", ())) - ended
            listed |= busy
            if queue in worker.get("queues", ()):
                free += max(0, worker.get("slots", 0) - len(busy))
        return free - sum(run.returncode is None and run.id not in listed for run in runs)

    def send(self, job, folder):
        """Send ``job`` (a :class:`~.commands.Job`) to write into ``folder``; its :class:`CeleryRun`."""
        run = CeleryRun(self, uuid.uuid4().hex, queue_for(job))
        fields = {name: getattr(job, name) for name in job.__dataclass_fields__}
        try:
            self.redis.set(control_key(run.id), "run", ex=CONTROL_TTL)
            self.celery.send_task(TASK, args=(run.id, fields, str(folder)), task_id=run.id, queue=run.queue)
        except Exception as error:  # kombu's and redis-py's errors alike: the broker is down
            raise ConversionUnavailable(
                f"the conversion workers' broker cannot be reached ({error}); try again shortly",
                retry_after=NO_WORKER_RETRY_AFTER,
            ) from None
        return run

    def close(self):
        self.redis.close()


class CeleryRun:
    """An ffmpeg run on a worker, seen as a local process is by the job manager: ``poll``,
    ``wait``, ``returncode``, signals (SIGKILL stops it, SIGSTOP and SIGCONT pause and
    resume it), and why it was lost when its worker went away (``lost``)."""

    pid = None

    def __init__(self, cluster, run_id, queue):
        self.cluster = cluster
        self.id = run_id
        self.queue = queue
        self.returncode = None
        self.lost = None
        self.worker = None  # the worker's name once it took the run
        self.cpu = None
        self.command = None  # the worker's ffmpeg arguments
        self._want = "run"
        self._sent = time.monotonic()
        self._seen = None  # when the lease was last seen
        self._looked = 0.0
        self._missing = None  # since when the worker's named connection is missing

    def poll(self):
        if self.returncode is not None:
            return self.returncode
        now = time.monotonic()
        if now - self._looked < POLL_SECONDS:
            return None
        self._looked = now
        try:
            with self.cluster.redis.pipeline() as pipe:
                if self._want != "stop":
                    pipe.set(control_key(self.id), self._want, ex=CONTROL_TTL)
                pipe.get(state_key(self.id))
                pipe.client_list()
                *done, state, clients = pipe.execute(raise_on_error=False)
            for answer in (*done, state):
                if isinstance(answer, Exception):
                    raise answer
            clients = client_names(clients)
        except redis.RedisError:  # the broker is away: the lease is not known to have lapsed yet
            state, lapsed = None, self._seen is not None and now - self._seen > LEASE_TTL
        else:
            lapsed = state is None and self._seen is not None  # the key expires with the lease
        if state is not None:
            try:
                state = json.loads(state)
            except ValueError:
                state = {}
            self._seen = now
            self.worker = state.get("worker", self.worker)
            self.cpu = state.get("cpu", self.cpu)
            self.command = state.get("command", self.command)
            if state.get("state") == "ended":
                self.lost = state.get("why")
                self.returncode = state.get("code", -signal.SIGKILL)
            elif self._disconnected(state, clients, now):
                self._lose(f"the worker {self.worker} stopped answering")
            return self.returncode
        if lapsed:
            self._lose(f"the worker {self.worker} stopped answering")
        elif self._seen is None and now - self._sent > TAKE_SECONDS:
            self._lose("no worker took the conversion")
        return self.returncode

    def _disconnected(self, state, names, now):
        """Whether the run's worker, which said it holds a named connection, has had none
        for ``DISCONNECT_GRACE`` seconds: its process died (``names``: the broker's
        connections, None when unknown)."""
        if names is None or not state.get("held"):
            return False
        if alive_name(self.id) in names:
            self._missing = None
            return False
        self._missing = self._missing or now
        return now - self._missing >= DISCONNECT_GRACE

    def _lose(self, why):
        self.lost = why
        self.returncode = -signal.SIGKILL
        self.signal(signal.SIGKILL)  # should the worker come back, its run stops

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                return None
            time.sleep(POLL_SECONDS)
        return self.returncode

    def signal(self, signum):
        """Tell the run's worker: SIGKILL stops it (revoked, its ffmpeg killed), SIGSTOP
        pauses it, SIGCONT resumes it; True when said."""
        want = {signal.SIGKILL: "stop", signal.SIGSTOP: "pause", signal.SIGCONT: "run"}[signum]
        if self._want == "stop":
            return False
        try:
            self.cluster.redis.set(control_key(self.id), want, ex=CONTROL_TTL)
            if want == "stop":
                self.cluster.celery.control.revoke(self.id)  # not taken yet: never run
        except Exception as error:  # the broker is down: the control key lapses, and the run stops
            log.warning("conversion %s could not be told to %s: %s", self.id, want, error)
            return want == "stop"
        self._want = want
        return True

    def cpu_seconds(self):
        return self.cpu if self.returncode is None else None


class CeleryRunner:
    """Starts a job's ffmpeg on a worker, or here when none is live and ``fallback`` (the
    local slots) allows it."""

    def __init__(self, cluster, fallback_slots):
        self.cluster = cluster
        self.fallback_slots = fallback_slots

    def free(self, queue, jobs):
        """(How many more jobs of ``queue`` may start, whether here), ``jobs`` being the
        job manager's: the live workers' free slots for ``queue``, else the fallback's;
        :class:`ConversionUnavailable` when there is neither."""
        runs = [job.process for job in jobs if isinstance(job.process, CeleryRun)]
        free = self.cluster.free_slots(queue, runs)
        if free is not None:
            return free, False
        if self.fallback_slots:
            here = sum(job.running and not isinstance(job.process, CeleryRun) for job in jobs)
            return self.fallback_slots - here, True
        raise ConversionUnavailable(
            "no conversion worker is running (mediacaster.conversion_backend = celery): "
            "start one, or allow converting here (mediacaster.conversion_fallback_local)",
            retry_after=NO_WORKER_RETRY_AFTER,
        )

"""Devices on bad days. A TV killed (``kill -9``) or frozen (``kill -STOP``) in the middle
of a queue, run as a process of its own (``python -m mediacaster.fakecast``); one that
comes back playing another sender's media; devices that accept a connection and then
hang the TLS handshake or answer garbage. Each test asserts what a person sees during
the fault (the device gone, in words; a clear 503 or 504 in time, never a hang) and
after it (the queue where it was, nothing held, no restart of the app)."""

import contextlib
import gc
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from playwright.sync_api import expect

from mediacaster.fakecast import Eureka, FakeChromecast
from mediacaster.fakecast.protocol import TLS_DIR
from tests.common.app import wait_for
from tests.common.chromium import chromium
from tests.common.mediafiles import long_film
from tests.common.servers import LiveServer
from tests.functional.test_browser import shot
from tests.functional.test_pages import axe_problems, layout_problems

pytestmark = pytest.mark.slow

TV, TV_ADDRESS, TV_UUID = "Hallway TV", "127.0.0.31", uuid.UUID("5a1e0000-0000-4000-8000-000000000031")
SPARE, SPARE_ADDRESS = "Attic TV", "127.0.0.34"
FILMS = ("Alien.mp4", "Heat.mp4", "Ran.mp4")
# An answer later than this is a request thread held by a device (the app's own waits
# for a device are 5 to 16 seconds); generous, for a loaded machine.
DEADLINE = 45
WAITING = "the queue goes on where it was once it is back"


@pytest.fixture(autouse=True)
def collected():
    """pychromecast's objects hold each other in cycles: collected as the test that made
    them ends (after its apps stopped), what they leave open is said of that test (the
    frozen TV's, which it allows), not of a later one."""
    yield
    gc.collect()


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    base = tmp_path_factory.mktemp("faulty-devices")
    for name in FILMS:
        long_film(base / name, 600)
    return base


class DeviceProcess:
    """The fake TV as a process of its own, found as a known host (no mDNS): the same
    name, address and id each time it starts, as a TV that is switched on again."""

    def __init__(self, name, address, device_id):
        self.name, self.address, self.id = name, address, device_id
        self.process = None

    def start(self):
        command = [sys.executable, "-m", "mediacaster.fakecast", "--name", self.name]
        command += ["--address", self.address, "--uuid", str(self.id), "--no-mdns"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for(self._answers, 30, f"{self.name} to start")
        return self

    def _answers(self):
        url = f"http://{self.address}:8008/setup/eureka_info"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):
            return True
        return False

    def signal(self, number):
        os.kill(self.process.pid, number)
        if number == signal.SIGSTOP:  # kill() returns before the process is stopped
            wait_for(self._stopped, 10, f"{self.name} to stop")

    def _stopped(self):
        # /proc/PID/stat: "pid (comm) state ...", T when stopped by a signal.
        return Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"

    def kill(self):
        self.signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def tv_process():
    device = DeviceProcess(TV, TV_ADDRESS, TV_UUID).start()
    yield device
    device.stop()


class Client:
    """Real HTTP to the app on a real waitress (4 threads), with a deadline on each call."""

    def __init__(self, url):
        self.url = url
        self.http = requests.Session()

    def call(self, method, path, **kwargs):
        response = self.http.request(method, self.url + path, timeout=DEADLINE, **kwargs)
        return response.status_code, response.json() if "json" in response.headers["Content-Type"] else None

    def get(self, path, **params):
        return self.call("GET", path, params=params)

    def post(self, path, body):
        return self.call("POST", path, json=body)

    def status(self, device):
        return self.get("/api/status", device=device)

    def queue(self, device):
        return self.get("/api/queue", device=device)[1]["queue"]

    def device(self, name):
        devices = self.get("/api/devices")[1]["devices"]
        return next(device for device in devices if device["name"] == name)


@pytest.fixture
def serve(make_app, films):
    """Serve the app with discovery of ``hosts`` (known hosts), once it found ``name``
    there: a :class:`Client` of it."""
    servers = []

    def start(name, hosts):
        app = make_app(
            roots={"m": films},
            **{
                "mediacaster.discovery": "true",
                "mediacaster.discovery_interfaces": "127.0.0.1",
                "mediacaster.known_hosts": ",".join(hosts),
            },
        )
        found = lambda: any(d.online and d.name == name for d in app.registry.services.cast.devices())  # noqa: E731
        wait_for(found, 40, f"{name} to be found")
        server = LiveServer(app).__enter__()
        servers.append(server)
        return Client(server.url)

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def start_queue(client, device):
    code, body = client.post("/api/queue", {"device": device, "paths": [f"m/{name}" for name in FILMS]})
    assert code == 200, body
    return wait_for(lambda: playing(client, device), DEADLINE, "the first film playing")


def playing(client, device):
    """The media status of the device while it plays, else None."""
    code, body = client.status(device)
    media = body.get("media") if code == 200 else None
    return media if media and media["player_state"] == "PLAYING" else None


def assert_not_answering(client, device):
    """What a person sees of a device that went away: in the list of devices, its status
    and its queue."""
    shown = wait_for(lambda: (d := client.device(device))["problem"] and d, DEADLINE, "the device shown gone")
    assert not shown["online"]
    assert shown["problem"].startswith(f"{device} is not answering")
    code, body = client.status(device)
    assert code == 503 and body["error"] == "device_unreachable"
    assert body["detail"].startswith(f"{device} is not answering")
    queue = wait_for(lambda: (q := client.queue(device))["state"] == "waiting" and q, DEADLINE, "waiting")
    assert queue["position"] == 0  # it kept its place
    assert queue["notes"][0].startswith(f"{device} is not answering")
    return queue


def test_a_tv_killed_mid_queue_is_shown_gone_and_the_queue_goes_on_where_it_was(serve, tv_process):
    client = serve(TV, [TV_ADDRESS])
    start_queue(client, TV)
    code, _ = client.post("/api/player/seek", {"device": TV, "position": 120})
    assert code == 200
    sought = lambda: (m := playing(client, TV)) and m["current_time"] >= 120 and m  # noqa: E731
    before = wait_for(sought, DEADLINE, "the seek")
    tv_process.kill()  # unplugged

    assert_not_answering(client, TV)
    # Controls answer at once, in words; the queue cannot move on without the TV.
    code, body = client.post("/api/player/pause", {"device": TV})
    assert code == 503 and body["detail"].startswith(f"{TV} is not answering")
    code, body = client.post("/api/queue/next", {"device": TV})
    assert (
        code == 503
        and body["detail"] == f"{TV} is not answering: the queue goes on where it was once it is back"
    )
    assert client.queue(TV)["state"] == "waiting"

    tv_process.start()  # switched on again: nothing plays on it
    wait_for(lambda: client.queue(TV)["state"] == "playing", DEADLINE, "the queue going on")
    after = wait_for(lambda: playing(client, TV), DEADLINE, "the film playing again")
    assert unquote(after["content_id"]).split("?")[0].endswith(f"/m/{FILMS[0]}")  # the same item
    assert before["current_time"] - 2 <= after["current_time"] <= before["current_time"] + 10
    queue = client.queue(TV)
    assert queue["position"] == 0 and queue["items"][0]["playing"] and not queue["notes"]
    assert client.device(TV)["online"] and client.device(TV)["problem"] is None


def test_a_tv_away_for_long_is_used_again_seconds_after_it_is_back(serve, tv_process):
    """pychromecast's own tries of a lost connection come 1, 2, 4, 8, 16, 32 s apart: a TV
    away for 40 s would wait until its 63rd second for one."""
    client = serve(TV, [TV_ADDRESS])
    start_queue(client, TV)
    tv_process.kill()
    assert_not_answering(client, TV)
    time.sleep(40)
    tv_process.start()
    back = time.monotonic()
    wait_for(lambda: client.queue(TV)["state"] == "playing", DEADLINE, "the queue going on")
    assert time.monotonic() - back < 15


# pychromecast may drop the TLS socket of a connection it gives up on while the TV is
# frozen without closing it: the garbage collector closes it, and says so.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_frozen_tv_holds_no_request_and_the_queue_goes_on_when_it_thaws(serve, tv_process):
    client = serve(TV, [TV_ADDRESS])
    start_queue(client, TV)
    tv_process.signal(signal.SIGSTOP)  # frozen: connected, and silent
    # Before the app knows, a command waits for its answer a few seconds, then says so.
    code, body = client.post("/api/player/pause", {"device": TV})
    assert code in (503, 504) and body["detail"].startswith(TV), body
    assert_not_answering(client, TV)

    tv_process.signal(signal.SIGCONT)  # it played on, and read the pause at last
    wait_for(lambda: client.queue(TV)["state"] == "playing", DEADLINE, "the queue going on")
    code, body = client.post("/api/player/play", {"device": TV})
    assert code == 200, body
    media = wait_for(lambda: playing(client, TV), DEADLINE, "the film playing")
    assert unquote(media["content_id"]).split("?")[0].endswith(f"/m/{FILMS[0]}")


@pytest.mark.browser
def test_the_page_says_a_killed_tv_is_not_answering_then_shows_it_playing_again(serve, tv_process):
    """In Chromium on a phone: the bar, the picker and the queue say in words that the TV
    is not answering while it is away, and the page is back to normal by itself after it."""
    client = serve(TV, [TV_ADDRESS])
    start_queue(client, TV)
    wait = DEADLINE * 1000
    with chromium() as browser:
        phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
        page = browser.new_context(**phone).new_page()
        page.goto(f"{client.url}/")
        picker = page.locator("#device-picker")
        expect(picker).to_be_enabled(timeout=wait)
        picker.select_option(label=TV)
        state, problem = page.locator("#np-state"), page.locator("#np-problem")
        expect(state).to_have_text("PLAYING", timeout=wait)
        expect(problem).to_be_hidden()
        tv_process.kill()  # unplugged

        words = f"{TV} is not answering. The queue goes on where it was once it is back."
        expect(problem).to_have_text(words, timeout=wait)
        expect(problem).to_have_attribute("role", "status")  # read out as it comes
        expect(page.locator("#np-title")).to_have_text(f"Waiting for {TV}")
        expect(picker.locator("option:checked")).to_have_text(f"{TV} (not answering)", timeout=wait)
        # The queue shows where it waits, by the keyboard.
        page.locator("#np-open").focus()
        page.keyboard.press("Enter")
        page.locator("#np-queue-toggle").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#np-queue button")).to_have_text(list(FILMS))
        expect(page.locator("#np-queue button").first).to_be_disabled()  # it cannot move meanwhile
        expect(page.locator("#np-queue button").first).to_have_attribute("aria-current", "true")
        assert axe_problems(page) + layout_problems(page, True) == []
        shot(page, "tv-not-answering-390")
        page.set_viewport_size({"width": 1440, "height": 900})
        assert layout_problems(page, False) == []
        shot(page, "tv-not-answering-1440")

        tv_process.start()  # switched on again: the queue goes on, and the page shows it
        expect(problem).to_be_hidden(timeout=wait)
        expect(state).to_have_text("PLAYING", timeout=wait)
        expect(page.locator("#np-title")).to_contain_text(FILMS[0].removesuffix(".mp4"))
        expect(page.locator("#np-next")).to_be_visible()  # the queue can be driven again
        expect(picker.locator("option:checked")).to_have_text(TV, timeout=wait)


@pytest.fixture
def spare():
    device = FakeChromecast(SPARE, "Chromecast", SPARE_ADDRESS, port=8009, eureka=True).start()
    yield device
    device.stop()


def test_a_tv_back_with_another_senders_media_is_not_taken_back(serve, spare):
    client = serve(SPARE, [SPARE_ADDRESS])
    start_queue(client, SPARE)
    spare.stop()  # its Wi-Fi gone
    assert_not_answering(client, SPARE)
    # Meanwhile a phone has it play something else.
    clip = client.get(f"/api/library/m/{FILMS[2]}")[1]["stream_url"]
    assert spare.load_elsewhere(clip, "video/mp4")
    loads = len(spare.loads)
    spare.start()

    wait_for(lambda: client.queue(SPARE)["state"] == "taken_over", DEADLINE, "the queue taken over")
    code, body = client.status(SPARE)
    assert code == 200 and body["interrupted"] == "taken_over"
    time.sleep(3)  # time enough to take it back, which the app does not do
    assert len(spare.loads) == loads and spare.played[-1][1] == clip


class BrokenDevice:
    """A device found as a known host (its eureka_info answers) whose cast port accepts a
    connection and then ``behaviour``: ``hangs`` (never says a word, the TLS handshake
    waits), ``garbage`` (bytes that are not TLS) or ``tls-garbage`` (a TLS session, then
    bytes that are no CASTV2 frame)."""

    def __init__(self, name, address, behaviour):
        self.eureka = Eureka(name, "Chromecast", uuid.uuid4(), address)
        self.behaviour = behaviour
        self.server = socket.create_server((address, 8009), reuse_port=False)
        self.connections = []
        self._stop = threading.Event()

    def start(self):
        self.eureka.start()
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with contextlib.suppress(OSError):
            if self.behaviour == "garbage":
                conn.sendall(os.urandom(512))
            elif self.behaviour == "tls-garbage":
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(TLS_DIR / "cert.pem", TLS_DIR / "key.pem")
                conn = context.wrap_socket(conn, server_side=True)
                self.connections.append(conn)
                conn.sendall(b"\xff\xff\xff\xf0" + os.urandom(512))  # a frame of 4 GB, never sent

    def stop(self):
        self._stop.set()
        self.eureka.stop()
        for sock in (self.server, *self.connections):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            sock.close()


@pytest.mark.parametrize(
    ("behaviour", "address"),
    [("hangs", "127.0.0.35"), ("garbage", "127.0.0.36"), ("tls-garbage", "127.0.0.37")],
)
def test_a_device_that_hangs_or_answers_garbage_holds_no_request(serve, behaviour, address):
    name = f"Broken TV {behaviour}"
    device = BrokenDevice(name, address, behaviour).start()
    try:
        client = serve(name, [address])
        threads = threading.active_count()
        film = f"m/{FILMS[0]}"
        calls = [
            ("GET", "/api/status", {"device": name}),
            ("POST", "/api/cast", {"device": name, "path": film}),
            ("POST", "/api/player/pause", {"device": name}),
            ("POST", "/api/player/seek", {"device": name, "position": 10}),
            ("POST", "/api/queue", {"device": name, "paths": [film]}),
        ]
        for method, path, body in calls:
            kwargs = {"params": body} if method == "GET" else {"json": body}
            code, answer = client.call(method, path, **kwargs)
            assert code in (503, 504), (path, code, answer)
            assert answer["error"] in ("device_unreachable", "device_timeout")
            assert answer["detail"].startswith(name), answer
        # More requests at once than the server has threads: each answers, none is held.
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: client.status(name)[0], range(8)))
        assert codes == [503] * 8
        shown = client.device(name)
        assert not shown["online"] and shown["problem"].startswith(f"{name} is not answering")
        assert client.queue(name)["state"] == "stopped"  # it never started there
        # Pages and other devices' business go on.
        assert client.call("GET", "/library/m")[0] == 200
        assert client.call("GET", "/healthz")[0] == 200
        # One connection thread for the device, retrying on its own; no request's.
        assert threading.active_count() <= threads + 2
    finally:
        device.stop()

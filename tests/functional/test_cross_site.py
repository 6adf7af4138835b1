"""Cross-site requests in a real Chromium: another site's page cannot cast, control the TV or
touch the session.

The app has no login; what keeps a web page the user happens to visit from driving the TV is
mediacaster.crossorigin (Sec-Fetch-Site, Origin, JSON bodies under /api/) and the session's CSRF
token. Other tests send those headers by hand; this module checks what a real browser sends. The
app runs on a real waitress on 127.0.0.1 with two fake Chromecasts it knows; the attacker's page
is served from two other origins, each by a tiny http.server:

- 127.0.0.13, another site: SameSite=Lax keeps the session cookie out of its POSTs;
- 127.0.0.1 on another port, the same site: ports do not count for SameSite, so the session
  cookie goes along and only the origin checks and the CSRF token stand in the way.

From each, against every state-changing route: auto-submitted forms of every encoding (in a frame;
urlencoded and the text/plain JSON smuggling trick also in a new window), fetch() in every mode
with and without credentials and with either content type, a Blob whose JSON type a no-cors fetch
drops, a bodiless POST (which the JSON rule cannot catch), and sendBeacon; once in a browser that
never met the app, once in the victim's, which chose the TV and cast through the app's own pages.

A batch passes when every request the browser sent was refused (403, 405 or 415, as the app's
server saw it), what the browser itself refuses never arrived, the devices received no command
but one same-origin control sent after the batch, and the session and its cookies are as they
were. The positive controls send the very same requests from the app's own page (a fetch with the
token, as app.js does; the session page's own form) and see each one act: the batches would fail
if the protection went.
"""

import itertools
import json
import threading
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from mediacaster import main
from mediacaster.crossorigin import SAFE_METHODS
from mediacaster.fakecast import FakeChromecast
from mediacaster.schemas.requests import PLAYER_ACTIONS
from mediacaster.session import COOKIE_NAME, CSRF_COOKIE
from tests.common.app import REPO, app_settings, wait_for
from tests.common.chromium import chromium
from tests.common.servers import LiveServer

pytestmark = pytest.mark.browser

# Loopback addresses no other test module uses: this module's devices must hear from nobody else.
TV, TV_ADDRESS = "Cross-site TV", "127.0.0.11"
SPARE, SPARE_ADDRESS = "Spare TV", "127.0.0.12"  # what a forged PUT /api/session/device would choose
OTHER_SITE = "127.0.0.13"
# Names that are not loopback to Chromium: over plain HTTP it sends no Sec-Fetch-* headers there
# (as to http://nas.local), and the Origin header alone must tell the app's pages from others.
APP_NAME, ATTACKER_NAME = "mediacaster.test", "prizes.test"

# Names Chromium resolves to the app and to the other site.
HOST_RULES = f"--host-resolver-rules=MAP {APP_NAME} 127.0.0.1, MAP {ATTACKER_NAME} {OTHER_SITE}"

FILM = "films/Films/Test pattern.mp4"
PICTURES = "films/Pictures"

# Bodies the API accepts: sent by the app's own page they do reach the device (the positive control).
PLAYER_BODIES = {
    "play": {},
    "pause": {},
    "stop": {},
    "seek": {"position": 1},
    "volume": {"level": 0.05},
    "mute": {"muted": True},
    "subtitles": {"track": None},
    "audio": {"track": 1},  # the film's one sound track
}

Route = namedtuple("Route", "route_name method path body")
ROUTES = {
    "cast": Route("api.cast", "POST", "/api/cast", {"path": FILM, "device": TV}),
    **{
        f"player/{action}": Route(
            "api.player", "POST", f"/api/player/{action}", {**PLAYER_BODIES.get(action, {}), "device": TV}
        )
        for action in PLAYER_ACTIONS
    },
    # One queue action stands for them all: one view serves every /api/queue/{action}.
    "queue": Route("api.queue", "POST", "/api/queue", {"paths": [FILM, FILM], "device": TV}),
    "queue/stop": Route("api.queue.action", "POST", "/api/queue/stop", {"device": TV}),
    # The same for slideshows: one view serves every /api/slideshow/{action}.
    "slideshow": Route("api.slideshow", "POST", "/api/slideshow", {"folder": PICTURES, "device": TV}),
    "slideshow/stop": Route("api.slideshow.action", "POST", "/api/slideshow/stop", {"device": TV}),
    "session/device": Route("api.session.device", "PUT", "/api/session/device", {"device": SPARE}),
    "session": Route("api.session", "DELETE", "/api/session", None),
    "session/clear": Route("session.clear", "POST", "/session/clear", None),
}

FORM_TYPES = {
    "urlencoded": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data",
    "text-plain": "text/plain",
}
TECHNIQUES = {
    **{
        f"form-{name}-{where}": {"kind": "form", "enctype": enctype, "target": where}
        for name, enctype in FORM_TYPES.items()
        for where in ("frame", "window")
        if where == "frame" or name != "multipart"  # a new window costs a second: the classic two
    },
    # An empty body escapes the "JSON only under /api/" rule: only the origin checks stop it.
    "form-no-fields-frame": {
        "kind": "form",
        "enctype": FORM_TYPES["urlencoded"],
        "target": "frame",
        "empty": True,
    },
    **{
        f"fetch-{mode}-{kind.split('/')[1]}" + ("-credentials" if credentials == "include" else ""): {
            "kind": "fetch",
            "mode": mode,
            "credentials": credentials,
            "body": "text",
            "type": kind,
        }
        for mode in ("no-cors", "cors", "same-origin")
        for credentials in ("same-origin", "include")
        for kind in ("text/plain", "application/json")
    },
    # A no-cors fetch drops the Blob's type: the body arrives with no Content-Type at all.
    "fetch-no-cors-json-blob-credentials": {
        "kind": "fetch",
        "mode": "no-cors",
        "credentials": "include",
        "body": "blob",
        "type": "application/json",
    },
    "fetch-no-cors-no-body-credentials": {
        "kind": "fetch",
        "mode": "no-cors",
        "credentials": "include",
        "body": None,
    },
    "beacon-text": {"kind": "beacon", "body": "text", "type": "text/plain"},
    "beacon-json-blob": {"kind": "beacon", "body": "blob", "type": "application/json"},
}
SCENARIOS = {
    "no-session-other-site": ("stranger", "other-site"),
    "no-session-same-site": ("stranger", "same-site"),
    "session-other-site": ("victim", "other-site"),
    "session-same-site": ("victim", "same-site"),
    "no-session-plain-http": ("stranger", "plain-http"),
}
# What an app that refuses answers: cross_site or csrf_failed, method_not_allowed, json_required.
REFUSED = {403, 405, 415}
# Messages pychromecast sends on its own, whoever asks for what.
HOUSEKEEPING = {"CONNECT", "CLOSE", "PING", "PONG", "GET_STATUS"}

ATTACKER_PAGE = """<!doctype html>
<meta charset="utf-8"><title>You won a prize</title>
<body><script>
"use strict";
const pause = (ms) => new Promise((done) => setTimeout(done, ms));
const within = (promise, ms) => Promise.race([promise, pause(ms).then(() => "no answer in time")]);
let serial = 0;

function formFields(spec, body) {
  if (spec.empty) return [];
  if (spec.enctype === "text/plain") {
    // Sent as name=value, unescaped: '{"path":...,"x":"' + '=' + '"}' is JSON.
    const json = JSON.stringify({ ...(body || {}), x: "" });
    return [[json.slice(0, -2), '"}']];
  }
  return Object.entries(body || {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]);
}

async function viaForm(spec, attempt) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = attempt.url;
  form.enctype = spec.enctype;
  form.target = `target${++serial}`;
  for (const [name, value] of formFields(spec, attempt.body)) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  let answered, popup = null;
  if (spec.target === "frame") {
    const frame = document.createElement("iframe");
    frame.name = form.target;
    document.body.append(frame);
    answered = new Promise((done) => frame.addEventListener("load", () => done("loaded"), { once: true }));
  } else {
    popup = window.open("about:blank", form.target);
    answered = (async () => {
      for (let i = 0; i < 400; i++) {
        try {
          popup.location.href;  // readable while about:blank, not once the app's answer is in
        } catch (error) {
          return "loaded";
        }
        await pause(20);
      }
      return "never left about:blank";
    })();
  }
  document.body.append(form);
  form.submit();
  const outcome = await within(answered, 8000);
  if (popup) popup.close();
  return outcome;
}

async function viaFetch(spec, attempt) {
  const init = { method: attempt.method, mode: spec.mode, credentials: spec.credentials };
  const text = JSON.stringify(attempt.body || {});
  if (spec.body === "text") {
    init.body = text;
    init.headers = { "Content-Type": spec.type };
  } else if (spec.body === "blob") {
    init.body = new Blob([text], { type: spec.type });
  }
  try {
    const response = await fetch(attempt.url, init);
    return `answered (${response.type} ${response.status})`;
  } catch (error) {
    return `refused by the browser: ${error.message}`;
  }
}

function viaBeacon(spec, attempt) {
  const text = JSON.stringify(attempt.body || {});
  const data = spec.body === "blob" ? new Blob([text], { type: spec.type }) : text;
  return navigator.sendBeacon(attempt.url, data) ? "queued" : "refused by the browser";
}

window.attack = async (spec, attempts) => {
  document.body.replaceChildren();
  const run = { form: viaForm, fetch: viaFetch, beacon: viaBeacon }[spec.kind];
  const outcomes = await Promise.all(attempts.map(async (attempt) => [attempt.id, await run(spec, attempt)]));
  return Object.fromEntries(outcomes);
};
</script>
"""

# The app's own way: a same-origin fetch with its JSON and the session's token (as app.js does).
SAME_ORIGIN = """async ([method, path, body]) => {
  const session = await (await fetch("/api/session", { credentials: "same-origin" })).json();
  const init = { method, credentials: "same-origin", headers: { "X-CSRF-Token": session.csrf_token } };
  if (body !== null) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  return [response.status, await response.text()];
}"""


# -- what the app's server saw ------------------------------------------------------------

Arrival = namedtuple("Arrival", "method status allow_origin site origin cookie")


class Recorder:
    """WSGI middleware in front of the app: the answer to every request tagged ``?xs=<id>``.

    It changes nothing; it lets the test know that a request arrived and was answered (so a
    quiet device means refused, not late) and with what status, whichever way the browser sent it.
    """

    def __init__(self, app):
        self.app = app
        self.seen = {}
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        tag = parse_qs(environ.get("QUERY_STRING", "")).get("xs")
        if not tag:
            return self.app(environ, start_response)

        def recording(status, headers, exc_info=None):
            arrival = Arrival(
                environ["REQUEST_METHOD"],
                int(status.split()[0]),
                dict(headers).get("Access-Control-Allow-Origin"),
                environ.get("HTTP_SEC_FETCH_SITE"),
                environ.get("HTTP_ORIGIN"),
                COOKIE_NAME in environ.get("HTTP_COOKIE", ""),
            )
            with self.changed:
                self.seen.setdefault(tag[0], []).append(arrival)
                self.changed.notify_all()
            return start_response(status, headers, exc_info)

        return self.app(environ, recording)

    def arrivals(self, tag):
        with self.changed:
            return list(self.seen.get(tag, ()))

    def wait(self, tag, method, timeout):
        """The arrivals of ``tag`` once one of ``method`` is among them (or ``timeout`` passed)."""
        with self.changed:
            self.changed.wait_for(lambda: any(a.method == method for a in self.seen.get(tag, ())), timeout)
            return list(self.seen.get(tag, ()))


class AttackerSite:
    """Another origin serving the attacker's page, on a loopback address and port of its own."""

    def __init__(self, address):
        class Page(BaseHTTPRequestHandler):
            def do_GET(self):
                body = ATTACKER_PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((address, 0), Page)
        self.url = f"http://{address}:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# -- fixtures: one app, one browser, the victim's and a stranger's browser contexts -------


@pytest.fixture(scope="module")
def devices():
    """Two fake Chromecasts, found as known hosts (eureka_info): no waiting for mDNS."""
    found = [
        FakeChromecast(name, "Chromecast", address, port=8009, eureka=True).start()
        for name, address in ((TV, TV_ADDRESS), (SPARE, SPARE_ADDRESS))
    ]
    yield found
    for device in found:
        device.stop()


@pytest.fixture(scope="module")
def tv(devices):
    """This module's own TV, not conftest's: what it receives comes from these tests alone."""
    return devices[0]


@pytest.fixture(scope="module")
def spare(devices):
    return devices[1]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cross-site-library")
    (folder / "Films").mkdir()
    (folder / "Films" / "Test pattern.mp4").write_bytes(
        (REPO / "mediacaster" / "demo" / "video" / "Test pattern.mp4").read_bytes()
    )
    (folder / "Pictures").mkdir()
    for picture in (REPO / "mediacaster" / "demo" / "images").iterdir():
        (folder / "Pictures" / picture.name).write_bytes(picture.read_bytes())
    return folder


@pytest.fixture(scope="module")
def app(redis_server, library, devices):
    known = f"{TV_ADDRESS},{SPARE_ADDRESS}"
    settings = {
        "mediacaster.discovery": "true",
        "mediacaster.discovery_interfaces": "127.0.0.1",
        "mediacaster.known_hosts": known,
        # The name a deployment adds for its LAN name, as nas.local would be.
        "mediacaster.allowed_hosts": f"127.0.0.1 {APP_NAME}",
    }
    app = main({}, **app_settings({"films": library}, redis_server.url, **settings))
    try:
        cast = app.registry.services.cast
        names = {TV, SPARE}
        wait_for(lambda: names <= {d.name for d in cast.devices() if d.online}, 40, "discovery")
        yield app
    finally:
        app.registry.services.close()


@pytest.fixture(scope="module")
def recorder(app):
    return Recorder(app)


@pytest.fixture(scope="module")
def server(recorder):
    with LiveServer(recorder) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    with chromium(HOST_RULES) as browser:
        yield browser


class AppPage:
    """A page of the app in a browser context, failing the test on a Content-Security-Policy report."""

    def __init__(self, context, url):
        self.context = context
        self.page = context.new_page()
        self.refused = []
        self.page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and self.refused.append(message.text),
        )
        self.page.goto(url)

    def same_origin(self, method, path, body):
        return self.page.evaluate(SAME_ORIGIN, [method, path, body])

    def session(self):
        status, text = self.same_origin("GET", "/api/session", None)
        assert status == 200, text
        return json.loads(text)

    def cookies(self):
        return {c["name"]: c["value"] for c in self.context.cookies()}

    def check_policy(self):
        refused, self.refused[:] = list(self.refused), []
        assert not refused, f"the app's page broke its own Content-Security-Policy: {refused}"


@pytest.fixture(scope="module")
def victim(browser, server, tv):
    """The victim's browser: it chose the TV and cast through the app's own pages."""
    context = browser.new_context()
    victim = AppPage(context, f"{server.url}/library/films/Films")
    page = victim.page
    expect(page.locator("#device-picker")).to_be_enabled(timeout=15000)
    page.locator("#device-picker").select_option(label=TV)
    expect(page.locator("#cast-message")).to_contain_text(f"Casting to {TV}")
    loads = len(tv.loads)
    page.get_by_role("button", name="Cast Test pattern.mp4").click()
    expect(page.locator("#np-state")).to_have_text("PLAYING", timeout=15000)
    assert len(tv.loads) == loads + 1  # the app's own page does reach the device
    yield victim
    victim.check_policy()
    context.close()


@pytest.fixture(scope="module")
def stranger(browser):
    """A browser that never met the app: no session cookie, so no CSRF token is asked for."""
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture(scope="module")
def attacker_pages(browser, victim, stranger):
    with AttackerSite(OTHER_SITE) as other_site, AttackerSite("127.0.0.1") as same_site:
        sites = {
            "other-site": other_site.url,
            "same-site": same_site.url,
            "plain-http": other_site.url.replace(OTHER_SITE, ATTACKER_NAME),
        }
        contexts = {"victim": victim.context, "stranger": stranger}
        pages = {}

        def page_for(scenario):
            if scenario not in pages:
                who, where = SCENARIOS[scenario]
                pages[scenario] = contexts[who].new_page()
                pages[scenario].goto(sites[where])
            return pages[scenario]

        yield page_for
        for page in pages.values():
            page.close()


# -- helpers -------------------------------------------------------------------------------


def commands(device, since):
    """What ``device`` was told to do since message number ``since``: every message but housekeeping."""
    with device.lock:
        received = device.messages[since:]
    return [data for _namespace, data in received if data.get("type") not in HOUSEKEEPING]


def paused_on_the_tv(victim, tv):
    """The victim's film, loaded and paused (so it never ends, and every control would act on it)."""
    if tv.player_state not in ("PLAYING", "PAUSED"):
        status, text = victim.same_origin("POST", "/api/cast", {"path": FILM, "device": TV})
        assert status == 200, text
    if tv.player_state != "PAUSED":
        status, text = victim.same_origin("POST", "/api/player/pause", {"device": TV})
        assert status == 200, text
    if tv.volume["muted"]:
        status, text = victim.same_origin("POST", "/api/player/mute", {"device": TV, "muted": False})
        assert status == 200, text


def sent_method(spec, method):
    """The method the browser sends for a route of ``method``; None where it sends nothing but
    perhaps a preflight."""
    if spec["kind"] == "form":
        return "POST"  # forms know no other unsafe method
    if spec["kind"] == "beacon":
        return None if spec["type"] == "application/json" else "POST"
    if spec["mode"] == "same-origin" or method != "POST":
        return None
    if spec["mode"] == "cors" and spec["body"] and spec["type"] == "application/json":
        return None
    return "POST"


def preflighted(spec, method):
    """Whether the browser asks the app first (OPTIONS) rather than sending it."""
    if spec["kind"] == "beacon":
        return spec["type"] == "application/json"  # a JSON Blob turns the beacon into CORS
    return spec["kind"] == "fetch" and spec["mode"] == "cors" and sent_method(spec, method) is None


def judge(spec, route, where, arrivals, outcome, scenario):
    """What is wrong with how one forged request went, as sentences."""
    problems = []
    expected = sent_method(spec, route.method)
    sent = [a for a in arrivals if a.method != "OPTIONS"]
    if expected and not sent:
        problems.append(f"{where}: never reached the app ({outcome}), so it proves nothing")
    if not expected and sent:
        problems.append(f"{where}: the browser sent it after all: {sent}")
    if preflighted(spec, route.method) and not any(a.method == "OPTIONS" for a in arrivals):
        problems.append(f"{where}: no preflight reached the app ({outcome})")
    if spec["kind"] == "fetch" and not expected and not outcome.startswith("refused by the browser"):
        problems.append(f"{where}: the browser did not refuse it: {outcome}")
    credentialed = spec["kind"] != "fetch" or spec["credentials"] == "include"
    if scenario == ("victim", "same-site") and credentialed and not all(a.cookie for a in sent):
        problems.append(f"{where}: came without the session cookie, so it tests less than it says: {sent}")
    if scenario[1] == "plain-http" and any(a.site for a in arrivals):
        problems.append(f"{where}: came with Sec-Fetch-Site, so Origin alone went untested: {arrivals}")
    for arrival in arrivals:
        if arrival.method == "OPTIONS":
            if arrival.allow_origin:
                problems.append(f"{where}: the app allowed the preflight: {arrival}")
        elif arrival.status not in REFUSED:
            problems.append(f"{where}: the app answered {arrival.status}, it did not refuse: {arrival}")
    return problems


_controls = itertools.count()


# -- tests ---------------------------------------------------------------------------------


def test_every_state_changing_route_is_attacked(app):
    """A route added later joins ROUTES, or this fails: the attacks would not know of it."""
    unsafe = set()
    for item in app.registry.introspector.get_category("views"):
        view = item["introspectable"]
        if view["route_name"] in (None, "__static/"):  # exception views; static files only read
            continue
        methods = view["request_methods"] or ("POST", "PUT", "PATCH", "DELETE")
        methods = (methods,) if isinstance(methods, str) else methods
        unsafe.update((view["route_name"], m) for m in methods if m not in SAFE_METHODS)
    # Logging in and out, setting up, tokens, accounts and positions change accounts and history,
    # not the device: test_security, test_first_run, test_admin and test_progress check that
    # another site's page cannot send them.
    unsafe -= {("login", "POST"), ("logout", "POST"), ("api.tokens", "POST"), ("api.token", "DELETE")}
    unsafe -= {("account.tokens", "POST"), ("account.token", "POST"), ("account.password", "POST")}
    unsafe -= {("setup", "POST"), ("api.users", "POST"), ("api.user", "PATCH"), ("api.user", "DELETE")}
    unsafe -= {("api.progress", "PUT"), ("api.watched", "PUT")}
    # Every /api/queue/{action} is one view: queue/stop attacks it (test_queue checks the others).
    unsafe = {(route, method) for route, method in unsafe if not route.startswith("admin.")}
    assert unsafe == {(route.route_name, route.method) for route in ROUTES.values()}
    assert set(PLAYER_BODIES) == set(PLAYER_ACTIONS)


@pytest.mark.parametrize("technique", TECHNIQUES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_another_page_changes_nothing(
    scenario, technique, server, recorder, victim, attacker_pages, tv, spare
):
    """Every state-changing route, forged by ``technique`` from the attacker's page: refused, and
    neither the TV nor the session changes."""
    spec, (who, where) = TECHNIQUES[technique], SCENARIOS[scenario]
    attacker = attacker_pages(scenario)
    paused_on_the_tv(victim, tv)
    session, cookies = victim.session(), victim.cookies()
    assert session["device"]["name"] == TV and session["recent"]  # something to lose
    marks = len(tv.messages), len(spare.messages)
    volume, position, loads = dict(tv.volume), tv.position(), len(tv.loads)

    app_url = f"http://{APP_NAME}:{server.port}" if where == "plain-http" else server.url
    tags = {name: f"{scenario}/{technique}/{name}" for name in ROUTES}
    attempts = [
        {
            "id": tags[name],
            "method": route.method,
            "url": f"{app_url}{route.path}?xs={tags[name]}",
            "body": route.body,
        }
        for name, route in ROUTES.items()
    ]
    outcomes = attacker.evaluate("([spec, attempts]) => attack(spec, attempts)", [spec, attempts])

    problems = []
    for name, route in ROUTES.items():
        # Until the app has answered what the browser sends (or its preflight: a beacon's comes
        # after sendBeacon returned): a quiet device then means refused, not late.
        waited_for = sent_method(spec, route.method) or (preflighted(spec, route.method) and "OPTIONS")
        arrivals = recorder.wait(tags[name], waited_for, 8) if waited_for else recorder.arrivals(tags[name])
        described = f"{route.method} {route.path} ({name}) by {technique}, {scenario}"
        problems += judge(spec, route, described, arrivals, outcomes[tags[name]], (who, where))

    # One same-origin control, after every attack was answered: it arrives, and it alone.
    level = round(0.3 + next(_controls) % 60 / 100, 2)  # a new level each time, never an attack's
    status, text = victim.same_origin("POST", "/api/player/volume", {"device": TV, "level": level})
    assert status == 200, text
    reached = commands(tv, marks[0])
    if [(c.get("type"), c.get("volume")) for c in reached] != [("SET_VOLUME", {"level": level})]:
        problems.append(f"{TV} received more than the control's SET_VOLUME {level}: {reached}")
    if commands(spare, marks[1]):
        problems.append(f"{SPARE} received commands: {commands(spare, marks[1])}")
    if (len(tv.loads), tv.player_state, tv.volume["muted"]) != (loads, "PAUSED", volume["muted"]):
        problems.append(f"{TV} changed: {len(tv.loads) - loads} LOADs, {tv.player_state}, {tv.volume}")
    if abs(tv.position() - position) > 0.01:
        problems.append(f"{TV} moved from {position} to {tv.position()}")
    if (victim.session(), victim.cookies()) != (session, cookies):
        problems.append(f"the victim's session changed: {session} -> {victim.session()}")
    if who == "stranger" and COOKIE_NAME in {c["name"] for c in attacker.context.cookies()}:
        problems.append("a session was made in the stranger's browser")
    victim.check_policy()
    assert not problems, "\n".join(problems)


@pytest.fixture
def owner(browser, server):
    """Someone using the app's own pages, in a browser context of their own."""
    context = browser.new_context()
    owner = AppPage(context, f"{server.url}/library/films/Films")
    expect(owner.page.locator("#device-picker")).to_be_enabled(timeout=15000)
    yield owner
    context.close()
    owner.check_policy()


def test_the_same_requests_from_the_apps_own_page_reach_the_device(owner, tv):
    """The positive control: sent by the app's own page, each request the attacks forge acts."""
    # What each route does to the device, in an order where each has something to act on.
    effects = {
        "cast": "LOAD",
        "player/pause": "PAUSE",
        "player/play": "PLAY",
        "player/seek": "SEEK",
        "player/volume": "SET_VOLUME",
        "player/mute": "SET_VOLUME",
        "player/subtitles": "EDIT_TRACKS_INFO",
        # The track already playing: answered, and nothing to change on the device.
        "player/audio": None,
        "player/stop": "STOP",
        "queue": "LOAD",
        "queue/stop": "STOP",
        "slideshow": "LOAD",
        "slideshow/stop": "STOP",
    }
    assert set(effects) | {"session/device", "session", "session/clear"} == set(ROUTES)
    for name, effect in effects.items():
        route, mark = ROUTES[name], len(tv.messages)
        status, text = owner.same_origin(route.method, route.path, route.body)
        assert status == 200, f"{name}: {text}"
        if effect is None:
            assert commands(tv, mark) == [], f"{name} changed {TV}"
        else:
            assert effect in [c.get("type") for c in commands(tv, mark)], f"{name} did not reach {TV}"
    assert tv.volume == {"level": 0.05, "muted": True}

    for clearing in ("session", "session/clear"):
        route = ROUTES["session/device"]
        assert owner.same_origin(route.method, route.path, route.body)[0] == 200
        assert owner.session()["device"]["name"] == SPARE
        assert COOKIE_NAME in owner.cookies() and CSRF_COOKIE in owner.cookies()
        route = ROUTES[clearing]
        status, text = owner.same_origin(route.method, route.path, route.body)
        assert status == 200, f"{clearing}: {text}"  # /session/clear: its 303, followed
        assert owner.session()["device"] is None


def test_the_session_pages_own_clear_button_clears_it(owner, server):
    """/session/clear as the app itself sends it: the form of the session page, with its token."""
    route = ROUTES["session/device"]
    assert owner.same_origin(route.method, route.path, route.body)[0] == 200
    owner.page.goto(f"{server.url}/session")
    expect(owner.page.locator("dl.facts")).to_contain_text(SPARE)
    with owner.page.expect_event("load"):
        owner.page.get_by_role("button", name="Clear this session").click()
    heading, detail = (
        owner.page.locator("h1").inner_text(),
        owner.page.locator(".error-detail").all_inner_texts(),
    )
    assert heading == "This session", f"the app refused its own form: {heading}: {detail}"
    expect(owner.page.locator("dl.facts")).to_contain_text("none chosen")
    assert owner.session()["device"] is None

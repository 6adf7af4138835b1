// mediacaster's page script: live folder filter, device picker, cast buttons and
// the now-playing bar. Pages render without the session; this script reads it
// (and its CSRF token) from the JSON API, so pages keep working when Redis is down.
"use strict";

const api = document.body.dataset;
const state = { csrf: null, device: null, devices: [], status: null, seeking: false, queue: null, slideshow: null, gone: false, choosing: null, previews: null };
const $ = (id) => document.getElementById(id);
const plural = (n, thing) => `${n} ${thing}${n === 1 ? "" : "s"}`;  // "1 file", "3 files"

// -- live filter of a folder listing (Enter still filters on the server) ------
// Names are compared as the server compares them: NFC, case-folded. Rows carry
// their folded name (data-name); JavaScript has no casefold, so the few folds
// that differ from lower-casing in file names are done by hand.
const FOLDS = { "ß": "ss", "ẞ": "ss", "ς": "σ", "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st" };
const fold = (text) => text.normalize("NFC").toLowerCase().replace(/[ßẞςﬀ-ﬆ]/g, (c) => FOLDS[c] || c).normalize("NFC");

function setUpFilter() {
  for (const input of document.querySelectorAll("input[data-filter-table]")) {
    const list = document.getElementById(input.dataset.filterTable);
    if (!list) continue;
    input.addEventListener("input", () => {
      const words = fold(input.value).split(/\s+/).filter(Boolean);
      // Rows are read each time: the ones swapped in by refreshDetails are new.
      for (const row of list.querySelectorAll("[data-name]")) {
        row.hidden = !words.every((word) => row.dataset.name.includes(word));
      }
      if ($("selection")) renderSelection();  // what is picked and still in sight
    });
  }
}

// -- the JSON API ---------------------------------------------------------------
async function call(method, url, body, retried = false) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (method !== "GET" && state.csrf) options.headers["X-CSRF-Token"] = state.csrf;
  const response = await fetch(url, options);
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = { error: "bad_response", detail: `the server answered ${response.status}` };
  }
  // The session was made by another request in the meantime (the first cookie arrives
  // with whichever answer comes first): its token is read again, and the request sent again.
  if (response.status === 403 && data.error === "csrf_failed" && !retried && method !== "GET") {
    state.csrf = (await call("GET", api.apiSession, undefined, true)).csrf_token;
    return call(method, url, body, true);
  }
  if (!response.ok) {
    const failure = new Error(data.detail || `the server answered ${response.status}`);
    failure.status = response.status;
    failure.code = data.error;
    throw failure;
  }
  return data;
}

const playerUrl = (action) => api.apiPlayer.replace("ACTION", action);

function say(text, kind = "info") {
  const box = $("cast-message");
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(say.timer);
  if (kind !== "busy") say.timer = setTimeout(() => (box.hidden = true), kind === "error" ? 10000 : 4000);
}

// -- devices ------------------------------------------------------------------------
function fillPicker() {
  const picker = $("device-picker");
  picker.replaceChildren();
  picker.append(new Option(state.devices.length ? "Choose a TV" : "No TV found", ""));
  for (const device of state.devices) {
    const label = device.online ? device.name : `${device.name} (${device.problem ? "not answering" : "offline"})`;
    picker.append(new Option(label, device.id, false, state.device && state.device.id === device.id));
  }
  if (state.device && !state.devices.some((d) => d.id === state.device.id)) {
    picker.append(new Option(`${state.device.name} (not found)`, state.device.id, false, true));
  }
  // No device at all: the picker gives way to a button that says so and opens how to add
  // one; what needs a TV hides (CSS: body.has-device shows .tv-only and the cast buttons).
  const none = state.devices.length === 0 && !state.device;
  picker.disabled = none;
  picker.hidden = none;
  $("device-help-open").hidden = !none;
  if (!none) showHelp(false);
  document.body.classList.toggle("has-device", !none);
}

function showHelp(open) {
  $("device-help").hidden = !open;
  $("device-help-open").setAttribute("aria-expanded", String(open));
}

async function loadDevices() {
  try {
    state.devices = (await call("GET", api.apiDevices)).devices;
  } catch (error) {
    state.devices = [];
  }
  fillPicker();
}

// A TV chosen and a Cast pressed at once: the cast waits for the choice being saved
// (state.choosing) rather than saying no TV was chosen.
function chooseDevice(id) {
  if (!id) return;
  const saving = saveDevice(id);
  state.choosing = saving;
  saving.finally(() => state.choosing === saving && (state.choosing = null));
}

async function saveDevice(id) {
  try {
    const result = await call("PUT", api.apiSessionDevice, { device: id });
    state.device = { id: result.device.id, name: result.device.name };
    say(`Casting to ${state.device.name}.`);
    showBar();
    poll();
    refreshDetails();
  } catch (error) {
    say(`Could not choose that device: ${error.message}`, "error");
  }
}

// -- media details and will-it-play verdicts ----------------------------------------
// Pages render at once; details the server is still reading are marked pending.
// While any are, and whenever a device is chosen, the script fetches the page
// again (with ?device= for the verdicts) and swaps in the rows and facts the
// server rendered: rows have one template, the server's.
function swap(current, fresh) {
  if (fresh && current.outerHTML !== fresh.outerHTML && !current.contains(document.activeElement)) {
    const row = document.importNode(fresh, true);
    // A ticked row stays ticked: the tick is the page's, not in the server's HTML.
    if (current.querySelector?.("input.pick:checked")) row.querySelector("input.pick").checked = true;
    current.replaceWith(row);
  }
}

async function refreshDetails(attempt = 0) {
  const container = document.querySelector("[data-poll]");
  if (!container) return;
  clearTimeout(refreshDetails.timer);
  const url = new URL(container.dataset.poll, location.href);
  if (state.device) url.searchParams.set("device", state.device.id);
  else url.searchParams.delete("device");
  let fresh;
  try {
    const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok) return;
    fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch (error) {
    return;
  }
  if (container.id === "entry-facts") {
    // A file page: its player asked for the file itself (and waited for its read).
    swap(container, fresh.getElementById("entry-facts"));
    for (const selector of [".actions .verdict", ".actions .cast-direct"]) {
      const current = document.querySelector(selector);
      if (current) swap(current, fresh.querySelector(selector));
    }
  } else {
    for (const row of container.querySelectorAll("[data-path]")) {
      swap(row, fresh.querySelector(`#entries [data-path="${CSS.escape(row.dataset.path)}"]`));
    }
    const progress = fresh.getElementById("probe-progress");
    if (progress) $("probe-progress").textContent = progress.textContent;
    const filter = document.querySelector("input[data-filter-table]");
    if (filter && filter.value) filter.dispatchEvent(new Event("input"));  // new rows, same filter
  }
  const pending = fresh.querySelector('[data-probe="pending"]');
  if (pending && attempt < 400) refreshDetails.timer = setTimeout(() => refreshDetails(attempt + 1), 1500);
}

// -- casting ------------------------------------------------------------------------
// Casts, queues and slideshows need the device chosen in "Cast to": else they say so.
async function deviceChosen() {
  if (state.choosing) await state.choosing;
  if (state.device) return true;
  say("Choose a TV in “Cast to” first.", "error");
  $("device-picker").focus();
  return false;
}

async function castFile(button) {
  if (!(await deviceChosen())) return;
  const title = button.dataset.title;
  const path = button.dataset.path.slice(button.dataset.path.indexOf("/") + 1);
  const badge = document.querySelector(`.verdict[data-for="${CSS.escape(path)}"]`);
  const direct = button.dataset.direct === "true";
  let force = false;
  if (badge && badge.dataset.verdict === "will_not_play") {
    if (!window.confirm(`${title} will not play on ${state.device.name}: ${badge.title}. Cast it anyway?`)) return;
    force = true;
  }
  const start = button.dataset.resume ? await askResume(title, Number(button.dataset.resume)) : 0;
  if (start === null) return;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  say(`Casting ${title} to ${state.device.name}…`, "busy");
  try {
    const result = await call("POST", api.apiCast, { path: JSON.parse(button.dataset.castPath), force, direct, start });
    state.status = result.status;
    render();
    say(`Playing ${title} on ${result.device.name}.`);
  } catch (error) {
    say(`Could not cast ${title}: ${error.message}`, "error");
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// "Resume at 1:23:45" or "Start over", in the message box: the position chosen, or null
// when the box is dismissed (Escape, or another message).
function askResume(title, at) {
  const box = $("cast-message");
  clearTimeout(say.timer);
  return new Promise((resolve) => {
    const done = (value) => {
      document.removeEventListener("keydown", escape);
      box.hidden = true;
      resolve(value);
    };
    const escape = (event) => event.key === "Escape" && done(null);
    const resume = Object.assign(document.createElement("button"), { type: "button", className: "button" });
    resume.textContent = `Resume at ${clock(at)}`;
    resume.addEventListener("click", () => done(at));
    const over = Object.assign(document.createElement("button"), { type: "button", className: "button secondary" });
    over.textContent = "Start over";
    over.addEventListener("click", () => done(0));
    box.replaceChildren(`${title}: `, resume, " ", over);
    box.dataset.kind = "ask";
    box.hidden = false;
    document.addEventListener("keydown", escape);
    resume.focus();
  });
}

// -- queues -------------------------------------------------------------------------
// A folder's, a search's or chosen files, played one after the other on the device.
async function startQueue(button, body) {
  if (!(await deviceChosen())) return;
  const title = button.dataset.title;
  say(`Starting ${title} on ${state.device.name}…`, "busy");
  try {
    const result = await call("POST", api.apiQueue, { ...body, device: state.device.id });
    state.queue = result.queue;
    renderQueue();
    say(`Playing ${title} on ${state.device.name}: ${plural(result.queue.items.length, "item")}.`);
  } catch (error) {
    say(`Could not play ${title}: ${error.message}`, "error");
  }
}

// "Play next" or "Add to the queue": with no queue playing there, it starts one.
async function addToQueue(button) {
  closeMenu(button);
  addPaths(button, [JSON.parse(button.dataset.queueAdd)], button.dataset.queueEnd === "true");
}

async function addPaths(button, paths, end) {
  if (!state.queue || state.queue.state !== "playing") return startQueue(button, { paths });
  try {
    const result = await call("POST", `${api.apiQueue}/add`, { device: state.device.id, paths, next: !end });
    state.queue = result.queue;
    renderQueue();
    say(end ? `${button.dataset.title} is at the end of the queue.` : `${button.dataset.title} plays next.`);
  } catch (error) {
    say(`Could not queue ${button.dataset.title}: ${error.message}`, "error");
  }
}

// -- a selection of files, picked in the rows: played or queued together -------------
function picked() {
  // Rows the filter hides are not seen: they are not played.
  return [...document.querySelectorAll("tr:not([hidden]) input.pick:checked")].map((box) => JSON.parse(box.value));
}

function renderSelection() {
  const files = picked().length;
  $("selection").hidden = files === 0;
  $("selection-count").textContent = `${files} selected`;
  for (const id of ["play-selection", "queue-selection"]) $(id).dataset.title = plural(files, "file");
}

function setUpSelection() {
  if (!$("selection")) return;
  document.addEventListener("change", (event) => {
    if (event.target.matches("input.pick")) renderSelection();
  });
  $("play-selection").addEventListener("click", (event) => startQueue(event.currentTarget, { paths: picked() }));
  $("queue-selection").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    if (await deviceChosen()) addPaths(button, picked(), true);
  });
  $("clear-selection").addEventListener("click", () => {
    for (const box of document.querySelectorAll("input.pick:checked")) box.checked = false;
    renderSelection();
  });
  renderSelection();  // boxes the browser kept ticked across a reload
}

async function queueAction(action, body = {}) {
  try {
    const result = await call("POST", `${api.apiQueue}/${action}`, { device: state.device.id, ...body });
    state.queue = result.queue;
    renderQueue();
  } catch (error) {
    say(error.message, "error");
  }
}

// A slideshow on the device: the bar's previous, next and play/pause drive it.
const showing = () => Boolean(state.slideshow && state.slideshow.state === "playing");

async function startSlideshow(button) {
  if (!(await deviceChosen())) return;
  try {
    const result = await call("POST", api.apiSlideshow, { folder: JSON.parse(button.dataset.slideshow), device: state.device.id });
    state.slideshow = result.slideshow;
    say(`Showing ${button.dataset.title} on ${state.device.name}: ${result.slideshow.count} pictures.`);
    poll();
  } catch (error) {
    say(`Could not show ${button.dataset.title}: ${error.message}`, "error");
  }
}

async function slideshowAction(action) {
  try {
    state.slideshow = (await call("POST", `${api.apiSlideshow}/${action}`, { device: state.device.id })).slideshow;
    render();
    renderQueue();
  } catch (error) {
    say(error.message, "error");
  }
}

function renderQueue() {
  const queue = state.queue;
  const live = Boolean(queue && queue.state === "playing");
  // A queue waiting for its TV is shown where it stands; it cannot be moved meanwhile.
  const shown = live || Boolean(queue && queue.state === "waiting");
  if (showing()) {
    const show = state.slideshow;
    $("np-prev").hidden = $("np-next").hidden = false;
    $("np-title").textContent = `Slideshow: ${show.title} (${show.position + 1} of ${show.count})`;
    $("np-toggle").disabled = false;
    $("np-toggle").setAttribute("aria-label", show.paused ? "Play" : "Pause");
    $("np-toggle").querySelector("use").setAttribute("href", show.paused ? "#icon-play" : "#icon-pause");
    return;
  }
  for (const id of ["np-prev", "np-next", "np-shuffle", "np-repeat"]) $(id).hidden = !live;
  $("np-queue-toggle").hidden = !shown;
  if (!shown) {
    $("np-queue-panel").hidden = true;
    $("np-queue-toggle").setAttribute("aria-expanded", "false");
    return;
  }
  $("np-queue-toggle").textContent = `Queue ${queue.position + 1}/${queue.items.length}`;
  $("np-shuffle").setAttribute("aria-pressed", String(queue.shuffle));
  if (document.activeElement !== $("np-repeat")) $("np-repeat").value = queue.repeat;
  const wanted = JSON.stringify([queue.items, queue.position, queue.state]);
  const list = $("np-queue");
  if (list.dataset.shown !== wanted) {
    list.dataset.shown = wanted;
    list.replaceChildren(...queue.items.map((item) => {
      const entry = document.createElement("li");
      const jump = Object.assign(document.createElement("button"), { type: "button", textContent: item.name });
      jump.dataset.jump = String(item.position);
      if (item.playing || (!live && item.position === queue.position)) jump.setAttribute("aria-current", "true");
      jump.disabled = !live;
      entry.append(jump);
      if (item.skipped) {
        entry.classList.add("skipped");
        jump.title = item.skipped;
      }
      return entry;
    }));
  }
  // A waiting queue's first note, that its TV is not answering, is the bar's own line.
  const notes = queue.state === "waiting" ? queue.notes.slice(1) : queue.notes;
  $("np-queue-notes").textContent = notes.slice(-1)[0] || "";
}

function setUpQueue() {
  $("np-prev").addEventListener("click", () => (showing() ? slideshowAction("previous") : queueAction("previous")));
  $("np-next").addEventListener("click", () => (showing() ? slideshowAction("next") : queueAction("next")));
  $("np-shuffle").addEventListener("click", () => {
    queueAction("shuffle", { on: $("np-shuffle").getAttribute("aria-pressed") !== "true" });
  });
  $("np-repeat").addEventListener("change", (event) => queueAction("repeat", { mode: event.target.value }));
  $("np-queue-toggle").addEventListener("click", () => {
    const open = $("np-queue-panel").hidden;
    $("np-queue-panel").hidden = !open;
    $("np-queue-toggle").setAttribute("aria-expanded", String(open));
  });
  $("np-queue").addEventListener("click", (event) => {
    const button = event.target.closest("[data-jump]");
    if (button) queueAction("jump", { position: Number(button.dataset.jump) });
  });
}

// -- seek previews --------------------------------------------------------------------
// A video's pictures over a seek bar (an <input type=range> of seconds): its WebVTT
// thumbnail track's cues name a sheet of pictures and a place on it (#xywh=). Shown on
// hover, while dragging and with the keyboard's focus, above the bar and never past its
// ends; a track or a sheet that cannot be had shows the time alone.
window.seekPreviews = (() => {
  const PREVIEW_HEIGHT = 100;  // px at most
  const RETRY_SHEET = 15000;  // ms
  const tracks = new Map();  // URL -> Promise of its cues
  const sheets = new Map();  // URL -> Image, loaded once

  const seconds = (stamp) => stamp.split(":").reduce((total, part) => total * 60 + Number(part), 0);

  function parse(text, base) {
    const cues = [];
    for (const block of text.replace(/\r/g, "").split(/\n\n+/)) {
      const lines = block.split("\n");
      const timing = lines.findIndex((line) => line.includes("-->"));
      if (timing < 0 || !lines[timing + 1]) continue;
      const [start, end] = lines[timing].split("-->").map((stamp) => seconds(stamp.trim().split(/\s/)[0]));
      const [url, box] = lines[timing + 1].trim().split("#xywh=");
      if (!box) continue;
      const [x, y, w, h] = box.split(",").map(Number);
      cues.push({ start, end, url: new URL(url, base).href, x, y, w, h });
    }
    return cues;
  }

  function track(url) {
    if (!tracks.has(url)) {
      tracks.set(url, fetch(url, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : ""))
        .then((text) => parse(text, url))
        .catch(() => []));
    }
    return tracks.get(url);
  }

  // A sheet, loaded once; one that failed (not made yet, on a busy server) is asked
  // for again after a while.
  function sheet(url) {
    const known = sheets.get(url);
    if (known && !(known.failed && Date.now() - known.failed > RETRY_SHEET)) return known;
    const image = new Image();
    image.addEventListener("error", () => (image.failed = Date.now()), { once: true });
    image.src = url;
    sheets.set(url, image);
    return image;
  }

  // Follow ``range``; ``source()``: the URL of the track of what it seeks in, or null;
  // ``player(at)``: the player's own picture for ``at`` (Shaka Player's, from the MPD) as
  // a cue, or undefined to read the track.
  function attach(range, source, player = () => undefined) {
    const preview = document.createElement("div");
    preview.className = "seek-preview";
    preview.setAttribute("aria-hidden", "true");  // the range's own value is what is read out
    preview.hidden = true;
    const picture = document.createElement("div");
    picture.className = "seek-picture";
    const time = document.createElement("span");
    time.className = "seek-time";
    preview.append(picture, time);
    // In the page's body, above every box: not under the bar's own layer or a message.
    preview.dataset.for = range.id;
    document.body.append(preview);
    let cues = [], loaded = null, dragging = false;

    async function ready() {
      const url = source();
      if (url !== loaded) {
        loaded = url;
        cues = [];
        if (url) cues = await track(url);
      }
      return cues;
    }

    async function show(at) {
      const max = Number(range.max);
      if (!(max > 0)) return hide();
      let cue = await player(at);
      preview.dataset.from = cue === undefined ? "track" : "player";
      if (cue === undefined) {
        const found = await ready();
        cue = found.find((c) => at >= c.start && at < c.end) || (at >= max && found[found.length - 1]);
      }
      const image = cue ? sheet(cue.url) : null;
      const drawn = image && !(image.complete && image.naturalWidth === 0);  // not a failed one
      picture.hidden = !drawn;
      if (drawn) {
        // An upright video's pictures are drawn smaller: no taller than a wide one's.
        const scale = Math.min(1, PREVIEW_HEIGHT / cue.h);
        Object.assign(picture.style, {
          width: `${cue.w * scale}px`, height: `${cue.h * scale}px`,
          backgroundImage: `url("${cue.url}")`,
          backgroundPosition: `-${cue.x * scale}px -${cue.y * scale}px`,
          backgroundSize: scale < 1 && image.naturalWidth ? `${image.naturalWidth * scale}px auto` : "auto",
        });
        if (!image.complete) image.addEventListener("error", () => (picture.hidden = true), { once: true });
      }
      time.textContent = clock(at);
      preview.hidden = false;
      // Over the place on the bar, inside the bar's ends and the window: fixed, so that
      // a scrolled box (the now-playing bar) does not cut it off.
      const bar = range.getBoundingClientRect();
      const width = preview.offsetWidth;
      const left = bar.left + (Math.min(Math.max(at, 0), max) / max) * bar.width - width / 2;
      const most = Math.min(bar.right, document.documentElement.clientWidth - 4) - width;
      preview.style.left = `${Math.max(Math.min(Math.max(left, bar.left), most), 4)}px`;
      preview.style.top = `${bar.top - preview.offsetHeight - 4}px`;
    }

    function hide() {
      preview.hidden = true;
    }

    const pointed = (event) => {
      const bar = range.getBoundingClientRect();
      return (Math.min(Math.max(event.clientX - bar.left, 0), bar.width) / bar.width) * Number(range.max);
    };
    range.addEventListener("pointermove", (event) => show(dragging ? Number(range.value) : pointed(event)));
    range.addEventListener("pointerdown", () => (dragging = true));
    range.addEventListener("pointerup", () => (dragging = false));
    range.addEventListener("pointerleave", () => !dragging && document.activeElement !== range && hide());
    range.addEventListener("input", () => show(Number(range.value)));
    range.addEventListener("focus", () => range.matches(":focus-visible") && show(Number(range.value)));
    range.addEventListener("blur", hide);
    range.addEventListener("change", () => {
      dragging = false;
      if (document.activeElement !== range || !range.matches(":focus-visible")) hide();
    });
    return { hide, warm: () => ready() };
  }

  return { attach };
})();

// -- the now-playing bar ------------------------------------------------------------
function clock(seconds) {
  if (seconds == null || !isFinite(seconds)) return "–:––";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

function showBar() {
  $("now-playing").hidden = !state.device;
  document.body.classList.toggle("with-bar", Boolean(state.device));
}

function render() {
  const status = state.status;
  const media = status && status.media;
  const playing = media && media.player_state === "PLAYING";
  const name = state.device ? state.device.name : "the device";
  $("np-title").textContent = state.gone
    ? `Waiting for ${name}`
    : media && media.player_state !== "IDLE" ? media.title || "Untitled" : `Nothing playing on ${name}`;
  $("np-state").textContent = media ? media.player_state : "";
  $("np-state").dataset.state = media ? media.player_state : "";
  const toggle = $("np-toggle");
  toggle.querySelector("use").setAttribute("href", playing ? "#icon-pause" : "#icon-play");
  toggle.setAttribute("aria-label", playing ? "Pause" : "Play");
  const idle = !media || media.player_state === "IDLE";
  for (const id of ["np-toggle", "np-stop", "np-seek", "np-audio"]) $(id).disabled = idle;
  if (media && !state.seeking) {
    $("np-seek").max = Math.ceil(media.duration || 0);
    $("np-seek").value = Math.floor(media.current_time || 0);
  }
  $("np-position").textContent = clock(media ? media.current_time : 0);
  if (media && state.previews) state.previews.warm();  // a new film's previews asked for at once
  $("np-duration").textContent = clock(media ? media.duration : 0);
  renderTracks(media);
  renderSound(status);
  // Another sender (a phone) took over the device or stopped what this app cast.
  const note = { taken_over: "Another sender took over", stopped: "Stopped from another sender" };
  $("np-note").textContent = (status && note[status.interrupted]) || "";
  $("np-note").hidden = !(status && status.interrupted);
  if (status && status.device) {
    if (document.activeElement !== $("np-volume")) $("np-volume").value = status.device.volume ?? 1;
    const muted = Boolean(status.device.muted);
    $("np-mute").querySelector("use").setAttribute("href", muted ? "#icon-muted" : "#icon-volume");
    $("np-mute").setAttribute("aria-pressed", String(muted));
    $("np-mute").setAttribute("aria-label", muted ? "Unmute" : "Mute");
  }
}

// A select of the bar, given [value, label] pairs: rebuilt only when they change
// (the status comes every second), its value left alone while it has the focus.
function fillSelect(select, options, value) {
  const wanted = JSON.stringify(options);
  if (select.dataset.options !== wanted) {
    select.dataset.options = wanted;
    select.replaceChildren(...options.map(([key, label]) => new Option(label, key)));
  }
  if (document.activeElement !== select) select.value = value;
}

function renderTracks(media) {
  const tracks = (media && media.tracks) || [];
  $("np-subtitles").hidden = tracks.length === 0;
  const active = media && media.active_tracks && media.active_tracks[0];
  const options = tracks.map((t) => [String(t.id), t.name || `Track ${t.id}`]);
  fillSelect($("np-subtitles"), [["", "Subtitles off"], ...options], active ? String(active) : "");
}

// The sound tracks of the file this app cast (none known for another sender's media).
function renderSound(status) {
  const tracks = (status && status.audio_tracks) || [];
  $("np-audio").hidden = tracks.length < 2;
  const chosen = tracks.find((t) => t.chosen);
  fillSelect($("np-audio"), tracks.map((t) => [String(t.index), t.label]), chosen ? String(chosen.index) : "");
}

// A TV that stopped answering, said in words above the bar's controls (a phone shows it
// with the remote closed), until a status comes again: the page comes back by itself.
function renderGone() {
  let text = "";
  if (state.gone) {
    const waiting = state.queue && state.queue.state === "waiting";
    const then = waiting ? "The queue goes on where it was once it is back." : "It is used again once it answers.";
    text = `${state.device.name} is not answering. ${then}`;
  }
  if ($("np-problem").textContent !== text) $("np-problem").textContent = text;
  $("np-problem").hidden = !text;
}

function setGone(gone) {
  if (gone === state.gone) return;
  state.gone = gone;
  if (gone) state.status = null;
  loadDevices();  // the picker says so too, or no more
}

async function poll() {
  clearTimeout(poll.timer);
  if (!state.device) return;
  try {
    await readStatus();
  } catch (error) {
    $("np-title").textContent = error.message;
    $("np-state").textContent = "";
  }
  poll.timer = setTimeout(poll, 1000);
}

async function readStatus() {
  const device = encodeURIComponent(state.device.id);
  const [status, queue] = await Promise.allSettled([
    call("GET", `${api.apiStatus}?device=${device}`),
    call("GET", `${api.apiQueue}?device=${device}`),
  ]);
  // The queue is known while the TV does not answer: it waits for it.
  if (queue.status === "fulfilled") state.queue = queue.value.queue;
  setGone(status.status === "rejected" && status.reason.code === "device_unreachable");
  if (state.gone) {
    state.slideshow = null;
    render();
    renderQueue();
    mediaSessionRemote();
    return renderGone();
  }
  for (const answer of [status, queue]) if (answer.status === "rejected") throw answer.reason;
  state.status = status.value;
  renderGone();
  const media = state.status.media;
  const picture = media && (media.content_type || "").startsWith("image/");
  state.slideshow = picture ? (await call("GET", `${api.apiSlideshow}?device=${device}`)).slideshow : null;
  render();
  renderQueue();
  mediaSessionRemote();
}

// -- the Media Session: a phone's lock screen and headset drive the device too ---------
// The logic is mediasession.js's, shared with the page's own player.
function mediaSessionRemote() {
  const live = Boolean(state.queue && state.queue.state === "playing");
  window.mediaSessionHub?.remote(state.status && state.status.media, {
    device: state.device && state.device.name,
    play: () => control("play"),
    pause: () => control("pause"),
    stop: () => control("stop"),
    seek: (position) => control("seek", { position }),
    previous: live ? () => queueAction("previous") : null,
    next: live ? () => queueAction("next") : null,
  });
}

async function control(action, body = {}) {
  try {
    state.status = await call("POST", playerUrl(action), { device: state.device.id, ...body });
    render();
    return true;
  } catch (error) {
    say(error.message, "error");
    if (error.code === "device_unreachable") poll();  // the bar says so at once
    return false;
  }
}

// The WebVTT thumbnail track of what plays on the TV, from its media URL: the path after
// the app's media route (/media/…, /playlist/<variant>/… or /manifest/<variant>/<name>/…)
// and its signature, which any of the file's URLs share. Null for sound.
const MEDIA_ROUTE = /^(.*?)\/(?:media|playlist\/[^/]+|manifest\/[^/]+\/[^/]+)\/(.+)$/;

function previewsTrack(media) {
  if (!media || !media.content_id || /^audio\//.test(media.content_type || "")) return null;
  try {
    const url = new URL(media.content_id);
    const found = url.pathname.match(MEDIA_ROUTE);
    return found ? `${location.origin}${found[1]}/previews/${found[2]}/thumbnails.vtt${url.search}` : null;
  } catch (error) {
    return null;
  }
}

function setUpBar() {
  // Room below the page for the bar, however tall it grows (its queue open): the last
  // rows and their menus can always be scrolled above it.
  const bar = $("now-playing");
  new ResizeObserver(() => document.body.style.setProperty("--bar-height", `${bar.offsetHeight}px`)).observe(bar);
  // On a phone the bar is a title and play/pause; this opens the whole remote.
  $("np-open").addEventListener("click", () => {
    const open = !bar.classList.contains("open");
    bar.classList.toggle("open", open);
    $("np-open").setAttribute("aria-expanded", String(open));
    $("np-open").setAttribute("aria-label", open ? "Close the remote" : "Open the remote");
  });
  $("np-toggle").addEventListener("click", () => {
    if (showing()) return slideshowAction(state.slideshow.paused ? "play" : "pause");
    const media = state.status && state.status.media;
    control(media && media.player_state === "PLAYING" ? "pause" : "play");
  });
  $("np-stop").addEventListener("click", () => control("stop"));
  const seek = $("np-seek");
  state.previews = window.seekPreviews.attach(seek, () => previewsTrack(state.status && state.status.media));
  seek.addEventListener("input", () => {
    state.seeking = true;
    $("np-position").textContent = clock(Number(seek.value));
  });
  seek.addEventListener("change", async () => {
    await control("seek", { position: Number(seek.value) });
    state.seeking = false;
  });
  $("np-volume").addEventListener("change", (event) => control("volume", { level: Number(event.target.value) }));
  $("np-subtitles").addEventListener("change", (event) => {
    const value = event.target.value;
    control("subtitles", { track: value ? Number(value) : null });
  });
  // The file is cast again with the other track: seconds, with a conversion to start.
  $("np-audio").addEventListener("change", async (event) => {
    const label = event.target.selectedOptions[0].textContent;
    say(`Switching the sound to ${label}…`, "busy");
    if (await control("audio", { track: Number(event.target.value) })) say(`Sound: ${label}.`);
  });
  $("np-mute").addEventListener("click", () => {
    const muted = $("np-mute").getAttribute("aria-pressed") === "true";
    control("mute", { muted: !muted });
  });
}

// -- pictures that cannot be made --------------------------------------------------
// A picture that fails (no cover art, an unreadable file) is removed, or replaced
// by the kind's icon held in the <template> after it. Here rather than in onerror
// attributes: the pages' Content-Security-Policy allows no inline script.
function fallBack(img) {
  const icon = img.nextElementSibling;
  if (img.dataset.fallback === "icon" && icon && icon.tagName === "TEMPLATE") {
    img.replaceWith(icon.content.cloneNode(true));
  } else {
    img.remove();
  }
}

function setUpPictureFallbacks() {
  document.addEventListener(
    "error",
    (event) => {
      if (event.target instanceof HTMLImageElement && event.target.dataset.fallback) fallBack(event.target);
    },
    true,  // error events do not bubble: catch them on the way down
  );
  // Pictures that failed before this script ran.
  for (const img of document.querySelectorAll("img[data-fallback]")) {
    if (img.complete && img.naturalWidth === 0) fallBack(img);
  }
}

// -- watched, by hand (a file's page, or a row's + menu) -------------------------
async function markWatched(button) {
  const watched = button.dataset.watched !== "true";
  button.closest("details")?.removeAttribute("open");
  try {
    await call("PUT", button.dataset.watchedUrl, { watched });
    button.dataset.watched = String(watched);
    button.textContent = watched ? "Mark as unwatched" : "Mark as watched";
    say(watched ? "Marked as watched." : "Marked as unwatched.");
    button.blur();  // a row holding the focus is not swapped
    refreshDetails();  // a listing's rows show it
  } catch (error) {
    say(`Could not mark it: ${error.message}`, "error");
  }
}

// A folder and the folders below it: a season, a show.
async function markFolder(button) {
  const watched = button.dataset.watched === "true";
  closeMenu(button);
  try {
    const marked = await call("PUT", button.dataset.markFolder, { watched });
    say(`Marked ${plural(marked.files, "file")} as ${watched ? "watched" : "unwatched"}.`);
    refreshDetails();
  } catch (error) {
    say(`Could not mark them: ${error.message}`, "error");
  }
}

// A menu closes once its choice is made, and the keyboard goes back to what opened it.
function closeMenu(button) {
  const menu = button.closest("details");
  if (!menu) return;
  menu.removeAttribute("open");
  menu.querySelector("summary").focus();
}

// A menu opens where it fits: upwards near the bottom of the window or above the
// now-playing bar, and towards the side with room, never off the screen. One is open at a time.
function placeMenu(event) {
  const details = event.target;
  if (!details.matches?.(".queue-menu, .menu-holder") || !details.open) return;
  for (const other of document.querySelectorAll("details[open]")) {
    if (other !== details && other.querySelector(".menu") && !other.contains(details)) other.open = false;
  }
  const menu = details.querySelector(".menu");
  menu.classList.remove("start", "end");
  menu.style.left = "";
  const room = details.getBoundingClientRect();
  const width = menu.offsetWidth;
  if (room.right - width >= 8) menu.classList.add("end");
  else if (room.left + width <= innerWidth - 8) menu.classList.add("start");
  else menu.style.left = `${8 - room.left}px`;  // room on neither side: from the window's edge
  details.classList.remove("up");
  const bar = $("now-playing");
  const floor = bar.hidden ? innerHeight : bar.getBoundingClientRect().top;
  if (details.classList.contains("queue-menu") && menu.getBoundingClientRect().bottom > floor) details.classList.add("up");
}

// A click elsewhere or Escape closes an open menu.
function setUpMenus() {
  document.addEventListener("toggle", placeMenu, true);  // toggle does not bubble: caught on its way down
  document.addEventListener("click", (event) => {
    for (const open of document.querySelectorAll("details[open]")) {
      if (open.querySelector(".menu") && !open.contains(event.target)) open.open = false;
    }
  });
  document.addEventListener("keydown", (event) => {
    const open = event.key === "Escape" && event.target.closest?.("details[open]");
    if (open && open.querySelector(".menu")) closeMenu(open.querySelector("summary"));
  });
}

// -- the header on a phone: search behind an icon, the device help on demand ---------
function setUpHeader() {
  const header = document.querySelector(".topbar");
  const opener = $("search-open");
  const toggleSearch = (open) => {
    header.classList.toggle("searching", open);
    opener.setAttribute("aria-expanded", String(open));
    opener.setAttribute("aria-label", open ? "Close the search" : "Search");
    opener.querySelector("use").setAttribute("href", open ? "#icon-close" : "#icon-search");
    if (open) $("search-q").focus();
  };
  opener.addEventListener("click", () => toggleSearch(!header.classList.contains("searching")));
  $("search-q").addEventListener("keydown", (event) => event.key === "Escape" && toggleSearch(false));
  $("device-help-open").addEventListener("click", () => showHelp($("device-help").hidden));
  $("device-help-close").addEventListener("click", () => {
    showHelp(false);
    $("device-help-open").focus();
  });
}

// -- forms that ask first (removing an account, revoking a token), and copy buttons ---
function setUpForms() {
  document.addEventListener("submit", (event) => {
    const question = event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const text = $(button.dataset.copy).textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      // Plain HTTP has no clipboard API: the text is selected, for the device's own copy.
      getSelection().selectAllChildren($(button.dataset.copy));
      if (!document.execCommand("copy")) return say("Selected: copy it with your device's Copy.");
    }
    say("Copied.");
  });
}

async function start() {
  setUpFilter();
  setUpBar();
  setUpQueue();
  setUpSelection();
  setUpMenus();
  setUpHeader();
  setUpForms();
  if ("guest" in api) return;  // the login page: no session to read, no device to find
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".cast-button");
    if (button) castFile(button);
    const queue = event.target.closest("[data-queue]");
    if (queue) startQueue(queue, JSON.parse(queue.dataset.queue));
    const add = event.target.closest("[data-queue-add]");
    if (add) addToQueue(add);
    const slideshow = event.target.closest("[data-slideshow]");
    if (slideshow) startSlideshow(slideshow);
    const watched = event.target.closest("[data-watched-url]");
    if (watched) markWatched(watched);
    const folder = event.target.closest("[data-mark-folder]");
    if (folder) markFolder(folder);
  });
  $("device-picker").addEventListener("change", (event) => chooseDevice(event.target.value));
  try {
    const session = await call("GET", api.apiSession);
    state.csrf = session.csrf_token;
    state.device = session.device;
  } catch (error) {
    say(`Sessions are unavailable: ${error.message}`, "error");
  }
  await loadDevices();
  setInterval(loadDevices, 15000);
  showBar();
  poll();
  refreshDetails();
}

setUpPictureFallbacks();
// A file page may add its scripts after its media's first frame (firstframe.js).
document.addEventListener(document.getElementById("page-scripts") ? "page-scripts" : "DOMContentLoaded", start);

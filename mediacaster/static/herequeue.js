// Playing here, one after the other: a folder's, a search's or the ticked rows' video and
// audio files, played through in this browser's own player, with previous and next.
//
// A button names what it plays as data-play-here (the JSON of the device queue's request:
// {"folder": "root/path"}, {"folder": ..., "shuffle": true}, {"search": "words"}), or is a
// data-play-here-selection button that plays the ticked rows (input.pick). The list is
// read from the JSON API, kept in this tab's sessionStorage, and the first file's page is
// opened; each file page (player.js) then shows where it is in the list and goes on to
// the next one when it ends.
"use strict";

window.hereQueue = (() => {
  const KEY = "mediacaster.here";
  const PLAYED = new Set(["video", "audio"]);
  // As many as a queue on a device holds (apispec.QUEUE_MAX), a search's as many as there.
  const MAX_ITEMS = 1000;
  const SEARCH_LIMIT = 500;
  const script = document.currentScript;
  const api = { library: script.dataset.apiLibrary, search: script.dataset.apiSearch };

  // A "root/path" as URL segments. A name that was not UTF-8 on disk carries its bytes as
  // lone surrogates (U+DC80 to U+DCFF, see bytenames.py): they go back as those bytes.
  function segments(path) {
    return path.split("/").map((segment) =>
      segment.replace(/[\udc80-\udcff]|[^\udc80-\udcff]+/gu, (part) =>
        part.length === 1 && part >= "\udc80" && part <= "\udcff"
          ? `%${(part.charCodeAt(0) - 0xdc00).toString(16).toUpperCase()}`
          : encodeURIComponent(part),
      ),
    ).join("/");
  }

  // GET from the JSON API: its reply, or an error that says the server's reason.
  async function fetchJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = { detail: `the server answered ${response.status}` };
    }
    if (!response.ok) throw new Error(data.detail || `the server answered ${response.status}`);
    return data;
  }

  const item = (entry) => ({ name: entry.name, kind: entry.kind, url: entry.url, path: `${entry.root}/${entry.path}` });
  const playable = (entries) => entries.filter((entry) => PLAYED.has(entry.kind)).map(item);

  // The files a spec names, in the order they play.
  async function resolve(spec) {
    let items;
    if (spec.folder) {
      items = playable((await fetchJson(`${api.library}/${segments(spec.folder)}`)).entries);
    } else if (spec.search) {
      const url = new URL(api.search, location.href);
      url.searchParams.set("q", spec.search);
      url.searchParams.set("limit", String(SEARCH_LIMIT));
      items = playable((await fetchJson(url)).entries);
    } else if (spec.paths) {
      // Ticked rows: each file's own entry, in the order of the rows.
      items = playable(await Promise.all(spec.paths.map((path) => fetchJson(`${api.library}/${segments(path)}`))));
    } else {
      throw new Error("nothing to play was named");
    }
    if (spec.shuffle) shuffle(items);
    return items.slice(0, MAX_ITEMS);
  }

  // Fisher–Yates: every order as likely, each file once.
  function shuffle(items) {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
  }

  function load() {
    try {
      const queue = JSON.parse(sessionStorage.getItem(KEY));
      return queue && Array.isArray(queue.items) ? queue : null;
    } catch (error) {
      return null;
    }
  }

  function save(queue) {
    try {
      sessionStorage.setItem(KEY, JSON.stringify(queue));
    } catch (error) {
      // Storage full or refused: the queue lasts as long as this page.
    }
  }

  function open(queue, position) {
    queue.position = position;
    save(queue);
    const url = new URL(queue.items[position].url, location.href);
    url.searchParams.set("play", "1");
    location.assign(url.href);
  }

  function tell(text, kind) {
    const box = document.getElementById("cast-message");
    if (!box) return;
    box.textContent = text;
    box.dataset.kind = kind;
    box.hidden = false;
  }

  async function start(spec, title) {
    tell(`Getting ${title} ready to play here…`, "busy");
    let items;
    try {
      items = await resolve(spec);
    } catch (error) {
      tell(`Could not play ${title} here: ${error.message}`, "error");
      return;
    }
    if (!items.length) {
      tell(`${title[0].toUpperCase()}${title.slice(1)} holds no video or music to play.`, "error");
      return;
    }
    open({ title, items, position: 0 }, 0);
  }

  // The queue this page is part of: {queue, position}, or null. The page of a file of the
  // queue is where it stands (the back button, a link followed); any other page is not in it.
  function current() {
    const queue = load();
    if (!queue) return null;
    const here = location.pathname;
    const at = (position) => position >= 0 && position < queue.items.length
      && new URL(queue.items[position].url, location.href).pathname === here;
    let position = at(queue.position) ? queue.position : queue.items.findIndex((_, index) => at(index));
    if (position < 0) return null;
    if (position !== queue.position) save({ ...queue, position });
    return { title: queue.title, position, count: queue.items.length, items: queue.items };
  }

  // The queue's previous (-1) or next (+1) file, opened; false at either end.
  function step(by) {
    const now = current();
    if (!now) return false;
    const position = now.position + by;
    if (position < 0 || position >= now.count) return false;
    open(load(), position);
    return true;
  }

  function stop() {
    sessionStorage.removeItem(KEY);
  }

  function picked() {
    // As app.js reads the ticked rows: the rows the filter hides are not played.
    return [...document.querySelectorAll("input.pick:checked")]
      .filter((box) => !box.closest("[hidden]"))
      .map((box) => JSON.parse(box.value));
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-play-here], [data-play-here-selection]");
    if (!button) return;
    event.preventDefault();
    if (button.hasAttribute("data-play-here-selection")) {
      const paths = picked();
      const title = `${paths.length} file${paths.length === 1 ? "" : "s"}`;
      if (paths.length) start({ paths }, title);
      else tell("Tick the files to play first.", "error");
    } else {
      start(JSON.parse(button.dataset.playHere), button.dataset.title || "these files");
    }
  });

  return { start, current, step, stop, fetchJson };
})();

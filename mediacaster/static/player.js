// The file page's player. It tells the server what this browser decodes (the
// checks the page carries), gets back how the file plays here (as it is, in the
// page's own <video>, or converted into segments that Shaka Player, loaded only
// then, reads through a DASH or HLS manifest) with its sound and subtitle
// tracks, and plays it, saying which and why, and what went wrong in words. The
// checks are remembered in a cookie, so the next page comes with its plan and
// plays without asking. It offers to resume where the user stopped,
// and tells the server where they are as it plays.
"use strict";

(() => {
  const box = document.getElementById("player-box");
  if (!box || !box.dataset.playback || !window.hereQueue) return;
  const media = document.getElementById("player");
  const stateLine = document.getElementById("player-state");
  const audioSelect = document.getElementById("audio-track");
  const subtitleSelect = document.getElementById("subtitle-track");
  const params = new URLSearchParams(location.search);
  // ?manifest=hls reads the HLS playlists instead of the DASH MPD (the same segments).
  const manifestKind = params.get("manifest") === "hls" ? "hls" : "dash";
  const MANIFEST_TYPES = { dash: "application/dash+xml", hls: "application/x-mpegurl" };
  const STARTING = {
    remux: "Repackaging this file for this browser",
    convert_audio: "Converting the sound for this browser",
    convert_all: "Converting this file for this browser",
  };
  // A segment after a seek is made while the request waits: allow for it, and
  // for a busy server (503 with Retry-After), before calling it a failure.
  const RETRY = { maxAttempts: 6, baseDelay: 1000, backoffFactor: 2, fuzzFactor: 0.5, timeout: 120000 };
  // Answers that asking again does not change: a failed conversion, a changed file, a
  // missing segment, a full cache. They are said at once; a busy server is asked again.
  const FINAL = new Set([404, 410, 422, 507]);
  // Where the user is, told every few seconds while it plays (mediacaster.progress_interval),
  // and at once when it pauses, ends or the page goes.
  const REPORT_EVERY = Number(box.dataset.reportEvery || 10) * 1000;
  const UP_NEXT_SECONDS = 10;
  // audio: the sound track chosen (null: the file's default); burn: image subtitles drawn in.
  const player = { shaka: null, shakaReady: null, plan: null, loading: 0, started: false, audio: null, burn: null };
  const BURN = "burn:";  // the subtitle menu's values for subtitles made of pictures
  const NATIVE = "native:";  // and for the <video>'s own tracks, without Shaka Player

  function say(text, kind) {
    stateLine.textContent = text;
    stateLine.dataset.kind = kind;
    stateLine.hidden = false;
  }

  // What this browser decodes: the names of the page's checks it passes, remembered for
  // the next page (playback/browsers.py reads them).
  function capabilities() {
    const can = checked();
    const cookie = `${box.dataset.checksCookie}=${box.dataset.checksTag}:${can.join("-")}`;
    const secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${cookie}; path=/; max-age=31536000; SameSite=Lax${secure}`;
    return can;
  }

  function checked() {
    const checks = JSON.parse(box.dataset.checks);
    const element = document.createElement("video");
    const mse = window.MediaSource && typeof MediaSource.isTypeSupported === "function";
    return Object.keys(checks).filter((name) => {
      const [how, type] = checks[name];
      return how === "mse" ? mse && MediaSource.isTypeSupported(type) : element.canPlayType(type) !== "";
    });
  }

  // The plan the page came with (the checks remembered), for the file's default tracks.
  function servedPlan() {
    const served = document.getElementById("player-plan");
    if (!served || player.audio != null || player.burn != null || player.plan) return null;
    return JSON.parse(served.textContent);
  }

  async function fetchPlan() {
    const served = servedPlan();
    if (served) {
      capabilities();  // what the browser decodes now, for the next page
      return served;
    }
    const url = new URL(box.dataset.playback, location.href);
    url.searchParams.set("can", capabilities().join(","));
    if (player.audio != null) url.searchParams.set("audio", player.audio);
    if (player.burn != null) url.searchParams.set("burn", player.burn);
    return window.hereQueue.fetchJson(url);
  }

  // A failed request's reason, from the app's error page or JSON.
  function detailOf(text) {
    if (!text) return "";
    try {
      return JSON.parse(text).detail || "";
    } catch (error) {
      const page = new DOMParser().parseFromString(text, "text/html");
      const detail = page.querySelector(".error-detail");
      return detail ? detail.textContent.trim() : "";
    }
  }

  function explain(error) {
    const codes = shaka.util.Error.Code;
    const data = error.data || [];
    if (error.code === codes.BAD_HTTP_STATUS) {
      const status = data[1];
      const detail = detailOf(data[2]);
      const what = {
        422: "The conversion failed",
        503: "Too many conversions are running right now",
        507: "The server's conversion cache is full",
        410: "The file changed while it played: open it again",
        404: "A part of the stream is missing",
      }[status] || `The server answered ${status}`;
      return detail ? `${what}: ${detail}` : `${what}.`;
    }
    if (error.code === codes.HTTP_ERROR) return "The server could not be reached.";
    if (error.code === codes.TIMEOUT) return "The server took too long to answer.";
    if (error.code === codes.VIDEO_ERROR) {
      const plan = player.plan;
      if (plan && plan.verdict.verdict === "will_not_play") return `This file will not play here: ${plan.verdict.reason}.`;
      if (plan && plan.delivery === "direct") return "This browser could not play the file as it is.";
      return "This browser could not decode the converted stream.";
    }
    return `Playback failed (Shaka Player error ${error.code}).`;
  }

  function fillAudio(plan) {
    audioSelect.replaceChildren(
      ...plan.audio.map((track) => new Option(track.label, String(track.index), false, track.chosen)),
    );
    document.getElementById("audio-choice").hidden = plan.audio.length < 2;
  }

  // A subtitle track of the page's own <video> (a file played without Shaka Player).
  async function addNativeTrack(track) {
    const element = document.createElement("track");
    Object.assign(element, { kind: "subtitles", src: track.url, label: track.label, srclang: track.language || "und" });
    media.append(element);
    return { id: NATIVE + (media.textTracks.length - 1) };
  }

  async function fillSubtitles(plan) {
    // Kept by its label across a reload for another sound track (the ids are new).
    const wanted = subtitleSelect.value ? subtitleSelect.selectedOptions[0].text : null;
    subtitleSelect.replaceChildren(new Option("Off", ""));
    for (const track of plan.subtitles) {
      const added = player.shaka
        ? await player.shaka.addTextTrackAsync(
          track.url, track.language || "und", "subtitles", "text/vtt", null, track.label,
        )
        : await addNativeTrack(track);
      subtitleSelect.append(new Option(track.label, String(added.id), false, false));
      if (track.label === wanted) subtitleSelect.value = String(added.id);
    }
    // Subtitles made of pictures are drawn into the video by a conversion of its own.
    for (const track of plan.image_subtitles) {
      subtitleSelect.append(new Option(track.label, BURN + track.index, false, track.chosen));
    }
    document.getElementById("subtitle-choice").hidden = subtitleSelect.options.length === 1;
    chooseSubtitles();
  }

  function chooseSubtitles() {
    const id = subtitleSelect.value;
    const burn = id.startsWith(BURN) ? Number(id.slice(BURN.length)) : null;
    if (burn !== player.burn) {
      player.burn = burn;
      load(media.currentTime);
      return;
    }
    if (!player.shaka) {
      const shown = id.startsWith(NATIVE) ? Number(id.slice(NATIVE.length)) : -1;
      Array.from(media.textTracks).forEach((track, index) => (track.mode = index === shown ? "showing" : "disabled"));
      return;
    }
    const track = player.shaka.getTextTracks().find((t) => String(t.id) === id);
    player.shaka.selectTextTrack(track || null);  // null: none shown
  }

  // Shaka Player, added to the page the first time a manifest is played.
  function loadShaka() {
    if (!player.shakaReady) {
      player.shakaReady = new Promise((resolve, reject) => {
        if (window.shaka) return resolve();
        const script = document.createElement("script");
        script.src = box.dataset.shaka;
        script.onload = () => resolve();
        script.onerror = () => reject(new Error("Shaka Player could not be loaded"));
        document.head.append(script);
      }).then(setUpShaka);
      player.shakaReady.catch(() => (player.shakaReady = null));  // asked again next time
    }
    return player.shakaReady;
  }

  async function setUpShaka() {
    media.querySelectorAll("track").forEach((track) => track.remove());  // Shaka shows its own
    media.removeAttribute("src");
    await shaka.polyfill.installAll();
    player.shaka = new shaka.Player();
    await player.shaka.attach(media);
    player.shaka.configure({
      manifest: { retryParameters: RETRY },
      streaming: { retryParameters: RETRY, bufferingGoal: 30, rebufferingGoal: 1 },
    });
    player.shaka.addEventListener("error", (event) => say(explain(event.detail), "error"));
    player.shaka.getNetworkingEngine().addEventListener("retry", (event) => {
      const error = event.error;
      const status = error && error.code === shaka.util.Error.Code.BAD_HTTP_STATUS ? error.data[1] : null;
      if (FINAL.has(status)) event.preventDefault();
      else if (error) say(`${explain(error)} Trying again…`, "busy");
    });
  }

  function setUp() {
    media.addEventListener("error", () => {
      if (!player.shaka && media.getAttribute("src")) say(nativeError(), "error");
    });
    media.addEventListener("playing", () => {
      if (player.plan) say(verdictLine(player.plan), "info");
    });
    audioSelect.addEventListener("change", () => {
      player.audio = Number(audioSelect.value);
      load(media.currentTime);
    });
    subtitleSelect.addEventListener("change", chooseSubtitles);
  }

  // What went wrong in the page's own <video>, in words.
  function nativeError() {
    const plan = player.plan;
    if (plan && plan.verdict.verdict === "will_not_play") return `This file will not play here: ${plan.verdict.reason}.`;
    const code = media.error ? media.error.code : 0;
    if (code === MediaError.MEDIA_ERR_NETWORK) return "The server could not be reached.";
    return "This browser could not play the file as it is.";
  }

  // The file as it is in the page's own <video>, at ``position`` seconds; its src may
  // already be the page's (set as it was served, loading since).
  function loadNative(url, position) {
    return new Promise((resolve, reject) => {
      const ready = () => {
        done();
        if (position > 0) media.currentTime = position;
        resolve();
      };
      const failed = () => {
        done();
        reject(new Error(nativeError()));
      };
      const done = () => {
        media.removeEventListener("loadedmetadata", ready);
        media.removeEventListener("error", failed);
      };
      media.addEventListener("loadedmetadata", ready);
      media.addEventListener("error", failed);
      if (media.getAttribute("src") !== url) media.src = url;
      else if (media.error) failed();
      else if (media.readyState >= HTMLMediaElement.HAVE_METADATA) ready();
    });
  }

  function verdictLine(plan) {
    const reason = plan.verdict.reason;
    if (plan.delivery !== "direct") return `${reason[0].toUpperCase()}${reason.slice(1)}.`;
    return plan.verdict.verdict === "plays" ? `Plays as it is: ${reason}.` : `${plan.verdict.label}: ${reason}.`;
  }

  // Load the file at ``position`` seconds, with the tracks chosen.
  async function load(position) {
    const attempt = ++player.loading;
    const wasPlaying = player.started && !media.paused;
    say("Asking how this file plays here…", "busy");
    let plan;
    try {
      plan = await fetchPlan();
    } catch (error) {
      say(`This file cannot be played here: ${error.message}`, "error");
      return;
    }
    if (attempt !== player.loading) return;  // another track was chosen meanwhile
    player.plan = plan;
    box.dataset.delivery = plan.delivery;
    fillAudio(plan);
    const converted = plan.manifests !== null;
    say(converted ? `${STARTING[plan.delivery]}…` : "Loading…", "busy");
    const url = converted ? plan.manifests[manifestKind] : plan.url;
    const type = converted ? MANIFEST_TYPES[manifestKind] : plan.content_type;
    // A file played as it is needs no Shaka Player, unless it came for another track.
    const viaShaka = converted || player.shaka !== null;
    try {
      if (viaShaka) await loadShaka();
      if (attempt !== player.loading) return;
      if (viaShaka) await player.shaka.load(url, position > 0 ? position : null, type);
      else await loadNative(url, position);
    } catch (error) {
      if (attempt !== player.loading) return;
      if (viaShaka && window.shaka && error.code === shaka.util.Error.Code.LOAD_INTERRUPTED) return;
      say(viaShaka && error.code !== undefined ? explain(error) : error.message, "error");
      return;
    }
    box.dataset.manifest = converted ? manifestKind : "file";
    await fillSubtitles(plan);
    // Playing already: a file played as it is starts before this script (firstframe.js).
    if (!media.paused) say(verdictLine(plan), "info");
    else if (!wasPlaying) say(converted ? `${verdictLine(plan)} Ready.` : verdictLine(plan), "info");
    if (wasPlaying) media.play().catch(() => {});
  }

  // -- where the user is ------------------------------------------------------------
  const progress = { csrf: null, sentAt: 0 };

  async function csrfToken() {
    if (progress.csrf === null) {
      const response = await fetch(document.body.dataset.apiSession, { credentials: "same-origin" });
      progress.csrf = response.ok ? (await response.json()).csrf_token : "";
    }
    return progress.csrf;
  }

  async function report(final) {
    if (!player.started || !box.dataset.progress) return;
    progress.sentAt = Date.now();
    const duration = Number.isFinite(media.duration) ? media.duration : null;
    const position = media.ended && duration ? duration : media.currentTime;
    const headers = { "Content-Type": "application/json", "X-CSRF-Token": await csrfToken() };
    // keepalive: a report sent as the page goes still arrives.
    fetch(box.dataset.progress, {
      method: "PUT", headers, credentials: "same-origin", keepalive: final,
      body: JSON.stringify({ position, duration, final }),
    }).catch(() => {});
  }

  function followProgress() {
    csrfToken().catch(() => {});  // ready before the page goes
    media.addEventListener("timeupdate", () => {
      if (!media.paused && Date.now() - progress.sentAt >= REPORT_EVERY) report(false);
    });
    media.addEventListener("pause", () => report(true));
    media.addEventListener("ended", () => report(true));
    window.addEventListener("pagehide", () => report(true));
  }

  // "Resume at 1:23:45" or "Start over": the file is loaded where the user stopped, so
  // pressing the player's own play button resumes too.
  function offerResume(at) {
    const choice = document.getElementById("resume-choice");
    if (!choice) return;
    const go = (position) => {
      choice.hidden = true;
      if (position !== null) media.currentTime = position;
      media.play().catch(() => say("Press play to start.", "info"));
    };
    document.getElementById("resume").addEventListener("click", () => go(null));
    document.getElementById("start-over").addEventListener("click", () => go(0));
    media.addEventListener("play", () => (choice.hidden = true), { once: true });
    choice.dataset.at = String(at);
  }

  // The folder's next file's page, playing at once.
  function playNext() {
    const next = new URL(box.dataset.next, location.href);
    next.searchParams.set("play", "1");
    location.assign(next.href);
  }

  // The folder's next episode or song once this one ends: a song goes on at once, an
  // episode after a countdown that can be cancelled (or by "Play now").
  function offerNext() {
    const offer = document.getElementById("up-next");
    if (!offer || !box.dataset.next) return;
    const count = document.getElementById("up-next-count");
    let timer = null;
    const cancel = () => {
      clearInterval(timer);
      offer.hidden = true;
    };
    document.getElementById("play-next").addEventListener("click", playNext);
    document.getElementById("cancel-next").addEventListener("click", cancel);
    media.addEventListener("play", cancel);  // played again from the start, say
    media.addEventListener("ended", () => {
      if (box.dataset.kind === "audio") return playNext();
      let left = UP_NEXT_SECONDS;
      count.textContent = `in ${left} s`;
      offer.hidden = false;
      clearInterval(timer);
      timer = setInterval(() => {
        left -= 1;
        if (left <= 0) playNext();
        else count.textContent = `in ${left} s`;
      }, 1000);
    });
  }

  // -- playing a list here (herequeue.js) ------------------------------------------
  // On a file of a list played here, the list replaces the folder's "Up next": where it
  // stands, previous and next, and the next file once this one ends.
  const here = window.hereQueue.current();

  function followList() {
    const bar = document.getElementById("here-queue");
    if (!bar) return;
    bar.hidden = false;
    document.getElementById("here-position").textContent = `${here.position + 1} of ${here.count}`;
    document.getElementById("here-title").textContent = here.title;
    const previous = document.getElementById("here-previous");
    const next = document.getElementById("here-next");
    previous.disabled = here.position === 0;
    next.disabled = here.position === here.count - 1;
    previous.addEventListener("click", () => window.hereQueue.step(-1));
    next.addEventListener("click", () => window.hereQueue.step(1));
    document.getElementById("here-end").addEventListener("click", () => {
      window.hereQueue.stop();
      bar.hidden = true;
      offerNext();
      mediaSession();
    });
    media.addEventListener("ended", () => {
      if (!window.hereQueue.step(1)) say(`That was the last of ${here.title}.`, "info");
    });
  }

  // The title, artist and album the file names, when the page was made before it was read.
  async function readTags() {
    if (box.dataset.title !== undefined || !box.dataset.entry) return;
    try {
      const entry = await window.hereQueue.fetchJson(box.dataset.entry);
      if (!entry.probe || !entry.probe.ok) return;
      const tags = entry.probe.tags || {};
      Object.assign(box.dataset, { title: tags.title || entry.name, artist: tags.artist || "", album: tags.album || "" });
    } catch (error) {
      // Not known: the file's name stands for its title.
    }
  }

  // The lock screen's and headset's controls (mediasession.js): title, artist, album and
  // picture, and previous and next where the list or the folder has them.
  function mediaSession() {
    const hub = window.mediaSessionHub;
    if (!hub) return;
    const listed = here && !document.getElementById("here-queue").hidden;
    const step = (by) => () => window.hereQueue.step(by);
    const cover = document.querySelector("#player-box img.cover");
    hub.follow(
      media,
      {
        title: box.dataset.title || box.dataset.name,
        artist: box.dataset.artist || "",
        album: box.dataset.album || "",
        artwork: (player.plan && player.plan.picture_url) || media.getAttribute("poster") || (cover && cover.src) || null,
      },
      listed
        ? { previous: here.position > 0 ? step(-1) : null, next: here.position < here.count - 1 ? step(1) : null }
        : { next: box.dataset.next ? playNext : null },
    );
  }

  // Shaka Player's picture for ``at`` seconds, from the MPD's image adaptation set, as a
  // cue of the track; undefined when the file plays otherwise.
  async function shakaThumbnail(at) {
    const track = player.shaka && box.dataset.manifest === "dash" ? player.shaka.getImageTracks()[0] : null;
    if (!track) return undefined;
    const found = await player.shaka.getThumbnails(track.id, at).catch(() => null);
    if (!found) return null;
    return { url: found.uris[0], x: found.positionX, y: found.positionY, w: found.width, h: found.height };
  }

  // The seek bar under the video, with the seek previews over it (app.js), whether the
  // file plays as it is or converted.
  function followSeekBar() {
    const bar = document.getElementById("seek-bar");
    if (!bar || !window.seekPreviews) return;
    const holder = bar.parentElement;
    const previews = window.seekPreviews.attach(bar, () => box.dataset.previews, shakaThumbnail);
    let held = false;  // being dragged: the video's time does not move it
    const sync = () => {
      const duration = media.duration;
      holder.hidden = !(Number.isFinite(duration) && duration > 0);
      if (holder.hidden) return;
      bar.max = String(duration);
      if (!held) bar.value = String(media.currentTime);
      bar.setAttribute("aria-valuetext", `${clock(Number(bar.value))} of ${clock(duration)}`);
    };
    for (const name of ["durationchange", "loadedmetadata", "timeupdate", "seeked"]) media.addEventListener(name, sync);
    bar.addEventListener("pointerdown", () => (held = true));
    bar.addEventListener("input", () => {
      held = true;
      bar.setAttribute("aria-valuetext", `${clock(Number(bar.value))} of ${clock(media.duration)}`);
    });
    bar.addEventListener("change", () => {
      held = false;
      media.currentTime = Number(bar.value);
    });
    previews.warm();  // the track read before the pointer comes
    sync();
  }

  async function start() {
    setUp();
    followSeekBar();
    media.addEventListener("play", () => (player.started = true));
    followProgress();
    if (here) followList();
    else offerNext();
    mediaSession();
    // ?t=90 (seconds) starts there, and ?play=1 plays at once: a link can resume a film.
    // Without ?t, a film the user stopped in the middle is loaded where they stopped.
    const asked = params.has("t") ? Number(params.get("t")) : null;
    const resume = Number(box.dataset.resume);
    const at = asked !== null && Number.isFinite(asked) ? asked : resume > 0 ? resume : 0;
    if (asked === null && resume > 0) offerResume(resume);
    else document.getElementById("resume-choice")?.remove();
    await load(at);
    await readTags();
    mediaSession();  // with the title the file gives, and its picture
    if (params.get("play") === "1") media.play().catch(() => say("Press play to start.", "info"));
  }

  // Added after the media's first frame (firstframe.js), it starts with the page's other scripts.
  document.addEventListener(document.getElementById("page-scripts") ? "page-scripts" : "DOMContentLoaded", start);
})();

// The Media Session, in one place: what a phone's lock screen, a headset's buttons and a
// keyboard's media keys show and drive. Two players feed it: the page's own player
// (player.js, through follow) and the remote of the device cast to (app.js, through
// remote). The page's player wins while it plays: the remote speaks only when it is idle.
"use strict";

window.mediaSessionHub = (() => {
  const session = navigator.mediaSession;
  const ACTIONS = ["play", "pause", "stop", "previoustrack", "nexttrack", "seekto", "seekbackward", "seekforward"];
  const SKIP = 10;  // seconds a seekbackward or seekforward moves when the caller says none
  const shown = { metadata: "", page: null, claim: null, unfollow: null };

  // title, artist, album, artwork (a picture's URL): set only when they change.
  function describe({ title, artist = "", album = "", artwork = null }) {
    if (!session || !window.MediaMetadata) return;
    const wanted = JSON.stringify([title, artist, album, artwork]);
    if (shown.metadata === wanted) return;
    shown.metadata = wanted;
    const pictures = artwork ? [{ src: new URL(artwork, location.href).href }] : [];
    session.metadata = new MediaMetadata({ title: title || "", artist, album, artwork: pictures });
  }

  // {play, pause, previoustrack, ...}: a handler for each action given, none for the others
  // (so that a lock screen offers no "next" where there is nothing next).
  function handle(handlers) {
    if (!session) return;
    for (const action of ACTIONS) {
      try {
        session.setActionHandler(action, handlers[action] || null);
      } catch (error) {
        // An action this browser does not know: left out.
      }
    }
  }

  function position(duration, at, rate = 1) {
    if (!session || !session.setPositionState) return;
    try {
      if (Number.isFinite(duration) && duration > 0) {
        session.setPositionState({ duration, position: Math.min(Math.max(at || 0, 0), duration), playbackRate: rate || 1 });
      } else {
        session.setPositionState();  // a live stream, or not known yet: no position shown
      }
    } catch (error) {
      // A position the browser refuses (out of range while loading): the next update sets it.
    }
  }

  // The page's own <video> or <audio>: its metadata ({title, ...}), and the queue's
  // previous and next (functions, or null where there is none).
  function follow(media, metadata, { previous = null, next = null } = {}) {
    if (!session) return;
    const seekTo = (to) => {
      media.currentTime = Math.max(0, Number.isFinite(media.duration) ? Math.min(to, media.duration) : to);
    };
    const handlers = {
      play: () => media.play().catch(() => {}),
      pause: () => media.pause(),
      previoustrack: previous,
      nexttrack: next,
      seekto: (details) => seekTo(details.seekTime),
      seekbackward: (details) => seekTo(media.currentTime - (details.seekOffset || SKIP)),
      seekforward: (details) => seekTo(media.currentTime + (details.seekOffset || SKIP)),
    };
    const update = () => {
      session.playbackState = media.paused ? "paused" : "playing";
      position(media.duration, media.currentTime, media.playbackRate);
    };
    // Followed again (other handlers): the listeners of before go.
    if (shown.unfollow) shown.unfollow();
    const events = ["play", "pause", "durationchange", "seeked", "ratechange", "ended"];
    for (const event of events) media.addEventListener(event, update);
    // Taken again whenever it plays: the remote may have spoken while it was paused.
    shown.page = media;
    shown.claim = () => {
      describe(metadata);
      handle(handlers);
    };
    shown.claim();
    media.addEventListener("play", shown.claim);
    const claim = shown.claim;
    shown.unfollow = () => {
      for (const event of events) media.removeEventListener(event, update);
      media.removeEventListener("play", claim);
    };
  }

  // The device's media as the remote knows it (the status API's media, or null), and the
  // remote's controls: play, pause, seek(seconds), previous and next (null where there is none).
  function remote(media, controls) {
    if (!session) return;
    const page = shown.page;
    if (page && !page.paused) return;  // the page's player holds the lock screen
    if (!media || media.player_state === "IDLE") {
      if (page) shown.claim();  // nothing on the device: back to the page's player
      else {
        session.playbackState = "none";
        handle({});
      }
      return;
    }
    const icon = document.querySelector('link[rel="apple-touch-icon"]');
    describe({ title: media.title || "Untitled", artist: controls.device || "", artwork: icon ? icon.href : null });
    const at = () => media.current_time || 0;
    handle({
      play: controls.play,
      pause: controls.pause,
      stop: controls.stop,
      previoustrack: controls.previous,
      nexttrack: controls.next,
      seekto: (details) => controls.seek(details.seekTime),
      seekbackward: (details) => controls.seek(Math.max(0, at() - (details.seekOffset || SKIP))),
      seekforward: (details) => controls.seek(at() + (details.seekOffset || SKIP)),
    });
    session.playbackState = media.player_state === "PLAYING" ? "playing" : "paused";
    position(media.duration, media.current_time);
  }

  return { describe, handle, position, follow, remote };
})();

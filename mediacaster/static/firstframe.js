// A file page whose media loads with the page (its first frame needs no script) adds
// its scripts once that frame is shown: run before it, their work held the browser's
// main thread while the media started (about a third of a direct file's start). They
// come in their order from the page's <template id="page-scripts">, and start on the
// "page-scripts" event (app.js, player.js) as they would on DOMContentLoaded. A video
// played at once gets its own controls then too (data-controls-later): drawn before, they
// were the largest part of the page's work before that frame.
"use strict";

(() => {
  const scripts = document.getElementById("page-scripts");
  const media = document.getElementById("player");
  if (!scripts) return;
  // A file that does not load in time still gets its page's controls.
  const LONGEST_WAIT_MS = 3000;
  let added = false;
  function add() {
    if (added) return;
    added = true;
    if (media && "controlsLater" in media.dataset) media.controls = true;
    const list = [...scripts.content.querySelectorAll("script")];
    let left = list.length;
    const loaded = () => {
      left -= 1;
      if (left === 0) document.dispatchEvent(new Event("page-scripts"));
    };
    for (const model of list) {
      const script = document.createElement("script");
      for (const { name, value } of model.attributes) script.setAttribute(name, value);
      script.async = false;  // run in the page's order, as deferred scripts do
      script.addEventListener("load", loaded);
      script.addEventListener("error", loaded);
      document.head.append(script);
    }
  }
  if (!media) return add();
  setTimeout(add, LONGEST_WAIT_MS);
  media.addEventListener("error", add);
  // Autoplay: once the first frame is shown (or the sound plays); else once the first
  // frame is loaded, or when the browser declined to start it by itself.
  if (media.autoplay && media.requestVideoFrameCallback) media.requestVideoFrameCallback(() => add());
  else if (media.autoplay) media.addEventListener("playing", add);
  else if (media.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) add();
  else media.addEventListener("loadeddata", add);
  media.addEventListener("canplaythrough", () => media.paused && add());
})();

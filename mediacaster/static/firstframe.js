// Held back until a page's media shows its first frame (or plays its first sound), so
// that their work does not hold the browser's main thread while the media starts:
// - a video played at once gets its own controls (data-controls-later): drawn before,
//   they were the largest part of the page's work before that frame;
// - a page whose media loads with it (a file played as it is: its first frame needs no
//   script) adds its scripts, about a third of such a start when they ran before. They
//   come in their order from the page's <template id="page-scripts">, and start on the
//   "page-scripts" event (app.js, player.js) as they would on DOMContentLoaded.
"use strict";

(() => {
  const scripts = document.getElementById("page-scripts");
  const media = document.getElementById("player");
  const controlsLater = Boolean(media && "controlsLater" in media.dataset);
  if (!scripts && !controlsLater) return;
  // Media that does not start in time still gets its controls and its page's scripts.
  const LONGEST_WAIT_MS = 3000;
  let shown = false;
  function show() {
    if (shown) return;
    shown = true;
    if (controlsLater) media.controls = true;
    if (scripts) addScripts();
  }
  function addScripts() {
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
  if (!media) return show();
  setTimeout(show, LONGEST_WAIT_MS);
  media.addEventListener("error", show);
  // Autoplay: once the first frame is shown (or the sound plays); else once the first
  // frame is loaded, or when the browser declined to start it by itself.
  if (media.autoplay && media.requestVideoFrameCallback) media.requestVideoFrameCallback(() => show());
  else if (media.autoplay) media.addEventListener("playing", show);
  else if (media.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) show();
  else media.addEventListener("loadeddata", show);
  media.addEventListener("canplaythrough", () => media.paused && show());
})();

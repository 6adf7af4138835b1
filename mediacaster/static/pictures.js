// Pictures, one after the other: a swipe (a finger, a pen or a mouse dragged across) and the
// arrow keys move to the previous or next one. Used by a picture's page, which goes to
// the folder's previous or next picture, and by the slideshow (slideshow.js).
"use strict";

window.pictureSteps = (() => {
  const SWIPE = 50;  // CSS pixels across, at least, and more across than up or down

  // Calls step(-1) for a swipe to the right (what was before comes in from the left), and
  // step(+1) for a swipe to the left, on ``area``; and for the arrow keys, on the page.
  function follow(area, step) {
    let start = null;
    area.addEventListener("pointerdown", (event) => {
      if (event.isPrimary && event.button === 0) start = { x: event.clientX, y: event.clientY };
    });
    area.addEventListener("pointercancel", () => (start = null));
    area.addEventListener("pointerup", (event) => {
      if (!start || !event.isPrimary) return;
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      start = null;
      if (Math.abs(dx) >= SWIPE && Math.abs(dx) > 1.5 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
    });
    document.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (event.target.closest("input, select, textarea, [contenteditable]")) return;
      if (event.key === "ArrowLeft") step(-1);
      else if (event.key === "ArrowRight") step(1);
    });
  }

  // A picture's page: its links to the folder's previous and next pictures.
  const photo = document.getElementById("photo");
  if (photo) {
    follow(photo, (by) => {
      const link = document.getElementById(by < 0 ? "photo-previous" : "photo-next");
      if (link) location.assign(link.href);
    });
  }

  return { follow };
})();

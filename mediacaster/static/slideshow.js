// A folder's pictures, one after the other, on the whole screen: each fetched at the size
// this screen needs (the server fits it, so a 20-megapixel photo comes as a screen's worth),
// the next one fetched ahead; an interval, previous, next, pause, arrows, swipes and space,
// full screen where the browser has it.
"use strict";

(() => {
  const box = document.getElementById("slideshow");
  if (!box) return;
  const slides = JSON.parse(box.dataset.slides);
  const screens = JSON.parse(box.dataset.screens);
  const image = document.getElementById("slide");
  const caption = document.getElementById("slide-caption");
  const pauseButton = document.getElementById("slide-pause");
  const show = { position: 0, paused: false, timer: null };

  // The smallest size the server makes that fills this screen's height, in device pixels.
  const lines = Math.round(window.screen.height * (window.devicePixelRatio || 1));
  const screen = screens.find((size) => size >= lines) || screens[screens.length - 1];
  const urlOf = (slide) => `${slide.url}&screen=${screen}`;

  function display(position) {
    show.position = (position + slides.length) % slides.length;
    const slide = slides[show.position];
    image.src = urlOf(slide);
    image.alt = slide.name;
    caption.textContent = `${slide.name} · ${show.position + 1} of ${slides.length}`;
    new Image().src = urlOf(slides[(show.position + 1) % slides.length]);  // ahead
    schedule();
  }

  function schedule() {
    clearTimeout(show.timer);
    if (!show.paused) {
      const seconds = Number(document.getElementById("slide-interval").value);
      show.timer = setTimeout(() => display(show.position + 1), seconds * 1000);
    }
  }

  const PAUSE_ICON = "M6 5h4v14H6zm8 0h4v14h-4z";
  const PLAY_ICON = "M8 5v14l11-7z";

  function pause(paused) {
    show.paused = paused;
    pauseButton.setAttribute("aria-label", paused ? "Play" : "Pause");
    pauseButton.setAttribute("aria-pressed", String(paused));
    pauseButton.querySelector("path").setAttribute("d", paused ? PLAY_ICON : PAUSE_ICON);
    schedule();
  }

  document.getElementById("slide-previous").addEventListener("click", () => display(show.position - 1));
  document.getElementById("slide-next").addEventListener("click", () => display(show.position + 1));
  pauseButton.addEventListener("click", () => pause(!show.paused));
  document.getElementById("slide-interval").addEventListener("change", schedule);
  // Phones without full screen for a page's part (an iPhone's Safari): the page is the screen.
  const full = document.getElementById("slide-full");
  full.hidden = !document.fullscreenEnabled;
  full.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else box.requestFullscreen().catch(() => {});
  });
  // Arrows and swipes step (pictures.js); space pauses; Escape goes back to the folder.
  window.pictureSteps.follow(box, (by) => display(show.position + by));
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("select, input")) return;
    if (event.key === " ") {
      event.preventDefault();
      pause(!show.paused);
    } else if (event.key === "Escape" && !document.fullscreenElement) {
      location.assign(document.getElementById("slide-back").href);
    }
  });
  const start = Number(new URLSearchParams(location.search).get("start")) || 0;
  display(start);
})();

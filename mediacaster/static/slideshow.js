// A folder's pictures, one after the other, in the browser: each fetched at the size this
// screen needs (the server fits it, so a 20-megapixel photo comes as a screen's worth), the
// next one fetched ahead; an interval, previous, next, pause, arrows and space, full screen.
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

  function pause(paused) {
    show.paused = paused;
    pauseButton.textContent = paused ? "Play" : "Pause";
    pauseButton.setAttribute("aria-pressed", String(paused));
    schedule();
  }

  document.getElementById("slide-previous").addEventListener("click", () => display(show.position - 1));
  document.getElementById("slide-next").addEventListener("click", () => display(show.position + 1));
  pauseButton.addEventListener("click", () => pause(!show.paused));
  document.getElementById("slide-interval").addEventListener("change", schedule);
  document.getElementById("slide-full").addEventListener("click", () => box.requestFullscreen().catch(() => {}));
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("select, input")) return;
    if (event.key === "ArrowRight") display(show.position + 1);
    else if (event.key === "ArrowLeft") display(show.position - 1);
    else if (event.key === " ") {
      event.preventDefault();
      pause(!show.paused);
    }
  });
  const start = Number(new URLSearchParams(location.search).get("start")) || 0;
  display(start);
})();

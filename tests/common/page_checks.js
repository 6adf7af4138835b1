// Checks run inside a page by tests/functional/test_pages.py: what is wrong with its layout,
// its text and (on a phone) the size of its controls; and the controls a keyboard must reach.
({
  layout(phone, ranges) {
    const problems = [];
    const width = innerWidth;
    const scroll = document.scrollingElement.scrollWidth;
    if (scroll > width) problems.push(`scrolls sideways: ${scroll}px in ${width}px`);
    const name = (el) => el.id
      ? `#${el.id}`
      : `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} "${(el.textContent || "").trim().slice(0, 30)}"`;
    const shown = (el) => el.checkVisibility({ visibilityProperty: true });
    // Inside a box that scrolls or clips sideways: out of sight on purpose (an ellipsis).
    const clipped = (el) => {
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== "visible") return true;
      }
      return false;
    };
    for (const el of document.body.querySelectorAll("*")) {
      if (!shown(el)) continue;
      const box = el.getBoundingClientRect();
      if (box.width < 2 || box.height < 2) continue;
      if ((box.left < -1 || box.right > width + 1) && !clipped(el)) {
        problems.push(`off screen: ${name(el)} ${Math.round(box.left)}..${Math.round(box.right)}`);
      }
    }
    // Text no font may have: every text node, and what CSS adds before and after.
    const fits = (c) => {
      const p = c.codePointAt(0);
      return p === 9 || p === 10 || p === 13 || p === 160 || ranges.some(([low, high]) => p >= low && p <= high);
    };
    const odd = (text) => [...text].filter((c) => !fits(c)).map((c) => `U+${c.codePointAt(0).toString(16)}`);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest("script, style, template, svg")) continue;
      const bad = odd(node.data);
      if (bad.length) problems.push(`glyph ${bad.join(" ")} in ${name(node.parentElement)}`);
    }
    for (const el of document.body.querySelectorAll("*")) {
      for (const where of ["::before", "::after"]) {
        const content = getComputedStyle(el, where).content;
        if (content.startsWith('"') && odd(content).length) problems.push(`glyph in ${where} of ${name(el)}: ${content}`);
      }
    }
    const controls = "button, select, summary, a.button, input:not([type=hidden]):not([type=checkbox]), .pick-box";
    for (const el of document.querySelectorAll(controls)) {
      if (!shown(el)) continue;
      if (el.matches("button, select, input")) {
        const font = getComputedStyle(el).fontFamily;
        if (!font.startsWith("system-ui")) problems.push(`font ${font} on ${name(el)}`);
      }
      const box = el.getBoundingClientRect();
      if (phone && (box.height < 43.5 || box.width < 43.5)) {
        problems.push(`too small for a finger: ${name(el)} ${Math.round(box.width)}x${Math.round(box.height)}`);
      }
    }
    return problems;
  },

  // Marks each control the keyboard should reach (data-reach), and says how many.
  mark() {
    const all = [...document.querySelectorAll("a[href], button, select, summary, input:not([type=hidden]), [tabindex]")]
      .filter((el) => el.checkVisibility({ visibilityProperty: true }) && !el.disabled && el.tabIndex >= 0);
    all.forEach((el, i) => (el.dataset.reach = String(i)));
    return all.length;
  },

  named(marks) {
    return marks.map((m) => document.querySelector(`[data-reach='${m}']`).outerHTML.slice(0, 100));
  },
})

// The page bar of a paged preview (PDF pages, a document's extracted pages):
// "‹ Page 3 of 12 ›", announced to screen readers when it changes.

import { el } from "./dom.js";

/** A bar that calls ``go(n)``; returns { node, show(n) } to reflect the current page. */
export function pageBar(total, go) {
  let current = 1;
  const label = el("span", { className: "page-label", role: "status", "aria-live": "polite" });
  const prev = el("button", { type: "button", className: "btn btn-small", "aria-label": "Previous page", text: "‹" });
  const next = el("button", { type: "button", className: "btn btn-small", "aria-label": "Next page", text: "›" });
  const turn = (page) => {
    Promise.resolve(go(page)).catch((error) => {
      label.textContent = `Page ${page} could not be shown: ${error.message}`;
    });
  };
  prev.addEventListener("click", () => current > 1 && turn(current - 1));
  next.addEventListener("click", () => current < total && turn(current + 1));
  // Typing a page number and pressing Enter (or leaving the box) goes there.
  const jump = el("input", { type: "number", className: "page-input", min: 1, max: total, step: 1, inputmode: "numeric", "aria-label": `Go to page (1 to ${total})` });
  jump.addEventListener("change", () => {
    const wanted = clampPage(jump.value, total);
    if (wanted !== current) turn(wanted);
    else jump.value = String(current);
  });
  const show = (page) => {
    current = page;
    label.textContent = `Page ${page} of ${total}`;
    jump.value = String(page);
    prev.disabled = page <= 1;
    next.disabled = page >= total;
  };
  // Seen: "‹ Page [3] of 12 ›"; the full sentence is the live status, visually hidden.
  label.classList.add("sr-only");
  // A phone's narrow dialog drops the word "Page" (the box's label still says it).
  const seen = el("span", { className: "page-seen" }, el("span", { className: "page-word", text: "Page" }), jump, el("span", { className: "page-total", text: `of ${total}` }));
  return { node: el("div", { className: "page-bar" }, prev, seen, label, next), show };
}

/** ``page`` as a page number between 1 and ``total``. */
export function clampPage(page, total) {
  return Math.min(Math.max(1, Math.floor(Number(page) || 1)), Math.max(1, total || 1));
}

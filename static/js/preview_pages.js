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

const LETTER = 792 / 612; // a page's height over its width until the PDF says (A4: 1.414)

/**
 * A blank page, ``width`` px wide and ``ratio`` times as tall, that says "Loading page N…":
 * it holds the place of a PDF page being fetched or drawn, so nothing jumps when it comes.
 */
export function loadingSheet(page, { width, ratio = LETTER }) {
  const sheet = el("div", { className: "pdf-page loading", "aria-busy": "true" });
  sheet.style.setProperty("width", `${Math.floor(width)}px`);
  sheet.style.setProperty("aspect-ratio", `1 / ${ratio}`);
  sheet.append(el("p", { className: "pdf-loading", role: "status", text: `Loading page ${page}…` }));
  return sheet;
}

/** The PDF view's place while pdf.js opens the file: the toolbar's row and the page. */
export function loadingPdfView(page, width) {
  const toolbar = el("div", { className: "pdf-toolbar pdf-toolbar-loading", "aria-hidden": "true" });
  return el("div", { className: "pdf-view" }, toolbar, el("div", { className: "pdf-stage" }, loadingSheet(page, { width })));
}

/** ``page`` as a page number between 1 and ``total``. */
export function clampPage(page, total) {
  return Math.min(Math.max(1, Math.floor(Number(page) || 1)), Math.max(1, total || 1));
}

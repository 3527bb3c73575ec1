// Citation chips under an assistant's reply (issue #15): one chip per cited page,
// "report.pdf p. 12", from the reply's citations ({file_id, filename, page, snippet},
// sent with response_complete and kept with the message). A click opens the preview
// of the version quoted, at that page, with the cited passage's words highlighted.
// Hovering a chip (or focusing it from the keyboard) shows the quoted passage in a card
// placed below the pill, so the answer's text above stays readable, and below the
// message's action row where the card would cover it (a phone's narrow column); at the
// bottom of the window it flips above. The card is fixed to the window, not clipped by the
// scrolling message list, and follows the pill while the list scrolls.

import { api } from "./api.js";
import { el } from "./dom.js";
import { icon } from "./icons.js";
import { previewById } from "./preview.js";

const MIN_WORD = 4; // shorter words ("the", "and") would light up the whole page
const CARD_GAP = 6; // px between the pill and its card
const EDGE = 8; // px the card keeps from the window's edges
let quoting = null; // the chip whose card is shown

/** Show ``citations`` at the end of an assistant ``bubble`` (replacing any shown before). */
export function showCitations(bubble, citations) {
  bubble.querySelector(".citations")?.remove();
  const cited = distinct(citations || []);
  if (!cited.length) return;
  const list = el("ul", { className: "citation-list" }, cited.map((citation) => el("li", {}, chip(citation))));
  bubble.append(el("div", { className: "citations", role: "group", "aria-label": "Sources" }, el("span", { className: "citations-label", text: "Sources" }), list));
}

function distinct(citations) {
  const seen = new Set();
  return citations.filter((citation) => {
    const key = `${citation.file_id}#${citation.page}`;
    if (!citation.file_id || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

let quotes = 0;
const currentVersions = new Map(); // file id -> Promise of its current version (or null)

/** The file's current version, asked once per page through the files API (the same
 * "can read" check as every other door); null when it cannot be read any more. */
function currentVersion(fileId) {
  if (!currentVersions.has(fileId)) {
    currentVersions.set(fileId, api(`/api/files/${encodeURIComponent(fileId)}`).then((file) => file.version ?? null, () => null));
  }
  return currentVersions.get(fileId);
}

/** A pill: file icon, the name (ellipsised), "p. 12", and "v2" once it is known that the
 * cited version is no longer the file's current one; hovering or focusing it shows the
 * quoted passage. */
function chip(citation) {
  const page = Number(citation.page) || 1;
  const open = () => previewById(citation.file_id, { page, query: passageWords(citation.snippet), version: citation.version });
  const quoteId = `citation-quote-${++quotes}`;
  const quote = citation.snippet ? el("span", { className: "citation-quote", id: quoteId, role: "tooltip", text: `“${citation.snippet}”` }) : null;
  const pageText = el("span", { className: "citation-page", text: `p. ${page}` });
  const button = el(
    "button",
    {
      type: "button",
      className: "citation-chip",
      "aria-label": `Open ${citation.filename} at page ${page}`,
      "aria-describedby": quote ? quoteId : null,
      dataset: { fileId: citation.file_id, page: String(page) },
      onclick: open,
      onpointerenter: () => showQuote(button),
      onpointerleave: () => hideQuote(button),
      onfocusin: () => button.matches(":focus-visible") && showQuote(button),
      onfocusout: () => hideQuote(button),
    },
    icon("file"),
    el("span", { className: "citation-name", text: citation.filename }),
    pageText,
    quote,
  );
  if (citation.version) {
    currentVersion(String(citation.file_id)).then((current) => {
      if (!current || Number(current) === Number(citation.version)) return;
      const title = `Cited from version ${citation.version}; the file is now at version ${current}.`;
      pageText.after(el("span", { className: "citation-version", title, text: `v${citation.version}` }));
      button.setAttribute("aria-label", `Open ${citation.filename} at page ${page}, version ${citation.version}`);
    });
  }
  return button;
}

function showQuote(chip) {
  if (!chip.querySelector(".citation-quote")) return;
  if (quoting && quoting !== chip) hideQuote(quoting);
  quoting = chip;
  chip.classList.add("quoting");
  placeQuote(chip);
}

function hideQuote(chip) {
  chip.classList.remove("quoting");
  if (quoting === chip) quoting = null;
}

/** Below the pill (and below the message's actions when the card would cover them)
 * when the card fits above the window's bottom edge, else above it (or below anyway
 * when neither fits); kept inside the window's width. */
function placeQuote(chip) {
  const quote = chip.querySelector(".citation-quote");
  const pill = chip.getBoundingClientRect();
  const card = quote.getBoundingClientRect();
  const left = Math.max(EDGE, Math.min(pill.left, window.innerWidth - EDGE - card.width));
  const below = bottomOfActionsUnder(chip, pill, left, left + card.width) + CARD_GAP;
  const above = pill.top - CARD_GAP - card.height;
  const fitsBelow = below + card.height <= window.innerHeight - EDGE;
  const placeAbove = !fitsBelow && above >= EDGE;
  quote.style.top = `${placeAbove ? above : below}px`;
  quote.style.left = `${left}px`;
  quote.dataset.placement = placeAbove ? "above" : "below";
}

/** The bottom of the chip's ``pill`` (its rectangle), or of its message's action row
 * when that row lies under the pill within the card's columns ``left``..``right``. */
function bottomOfActionsUnder(chip, pill, left, right) {
  const row = chip.closest(".msg")?.querySelector(":scope > .msg-actions")?.getBoundingClientRect();
  const crossed = row && row.height && row.top >= pill.top && row.left < right && row.right > left;
  return crossed ? Math.max(pill.bottom, row.bottom) : pill.bottom;
}

document.addEventListener("scroll", () => quoting && placeQuote(quoting), { capture: true, passive: true });
window.addEventListener("resize", () => quoting && placeQuote(quoting));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && quoting) hideQuote(quoting); // dismissable (WCAG 1.4.13)
});

function passageWords(snippet) {
  return String(snippet || "")
    .split(/\s+/)
    .filter((word) => word.replace(/[^\p{L}\p{N}]/gu, "").length >= MIN_WORD)
    .join(" ");
}

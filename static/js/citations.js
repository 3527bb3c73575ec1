// Citation chips under an assistant's reply (issue #15): one chip per cited page,
// "report.pdf p. 12", from the reply's citations ({file_id, filename, page, snippet},
// sent with response_complete and kept with the message). A click opens the preview
// of the version quoted, at that page, with the cited passage's words highlighted.

import { api } from "./api.js";
import { el } from "./dom.js";
import { icon } from "./icons.js";
import { previewById } from "./preview.js";

const MIN_WORD = 4; // shorter words ("the", "and") would light up the whole page

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

function passageWords(snippet) {
  return String(snippet || "")
    .split(/\s+/)
    .filter((word) => word.replace(/[^\p{L}\p{N}]/gu, "").length >= MIN_WORD)
    .join(" ");
}

// Citation chips under an assistant's reply (issue #15): one chip per cited page,
// "report.pdf p. 12", from the reply's citations ({file_id, filename, page, snippet},
// sent with response_complete and kept with the message). A click opens the preview
// at that page with the cited passage's words highlighted.

import { el } from "./dom.js";
import { icon } from "./icons.js";
import { previewById } from "./preview.js";

const MIN_WORD = 4; // shorter words ("the", "and") would light up the whole page

/** Show ``citations`` at the end of an assistant ``bubble`` (replacing any shown before);
 * ``files`` (the message's, with ``current_version``) tell which cited versions are old. */
export function showCitations(bubble, citations, files = []) {
  bubble.querySelector(".citations")?.remove();
  const cited = distinct(citations || []);
  if (!cited.length) return;
  const current = new Map(files.map((file) => [String(file.id), file.current_version ?? file.version]));
  const list = el("ul", { className: "citation-list" }, cited.map((citation) => el("li", {}, chip(citation, current.get(String(citation.file_id))))));
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

/** A pill: file icon, the name (ellipsised), "p. 12", "v2" when the cited version is no
 * longer the file's current one; hovering or focusing it shows the quoted passage. */
function chip(citation, currentVersion) {
  const page = Number(citation.page) || 1;
  const open = () => previewById(citation.file_id, { page, query: passageWords(citation.snippet) });
  const old = citation.version && currentVersion && Number(citation.version) !== Number(currentVersion);
  const quoteId = `citation-quote-${++quotes}`;
  const quote = citation.snippet ? el("span", { className: "citation-quote", id: quoteId, role: "tooltip", text: `“${citation.snippet}”` }) : null;
  return el(
    "button",
    {
      type: "button",
      className: "citation-chip",
      "aria-label": `Open ${citation.filename} at page ${page}${old ? `, version ${citation.version}` : ""}`,
      "aria-describedby": quote ? quoteId : null,
      dataset: { fileId: citation.file_id, page: String(page) },
      onclick: open,
    },
    icon("file"),
    el("span", { className: "citation-name", text: citation.filename }),
    el("span", { className: "citation-page", text: `p. ${page}` }),
    old ? el("span", { className: "citation-version", title: `Cited from version ${citation.version}; the file is now at version ${currentVersion}.`, text: `v${citation.version}` }) : null,
    quote,
  );
}

function passageWords(snippet) {
  return String(snippet || "")
    .split(/\s+/)
    .filter((word) => word.replace(/[^\p{L}\p{N}]/gu, "").length >= MIN_WORD)
    .join(" ");
}

// Search in file contents on the Files page (issue #15): GET /api/search with the file
// list's filters, one page of ranked matches, each with its page number and a snippet
// marked in the browser from the plain text (the server's HTML is never used).
// Opening a match previews the file at that page with the words highlighted.

import { api } from "./api.js";
import { clear, el } from "./dom.js";
import { markText, searchTerms } from "./marks.js";
import { previewById } from "./preview.js";

const $ = (id) => document.getElementById(id);

/** One page of matches for ``query`` (q, source, category, page, page_size). */
export function searchContents(query, { signal }) {
  return api(`/api/search?${query}`, { signal });
}

/** Show ``data`` (a page of /api/search) for the words of ``q``. */
export function renderHits(data, q, { filtered }) {
  const list = clear($("search-hits"));
  const terms = searchTerms(q);
  for (const hit of data.results) list.append(hitItem(hit, terms, q));
  const empty = $("search-empty");
  empty.textContent = filtered
    ? "No file matching these filters says that. Try other words or clear a filter."
    : "None of your files, or files shared with you, says that. Files still processing are searchable once ready.";
  empty.hidden = data.results.length > 0;
}

function hitItem(hit, terms, q) {
  const open = el(
    "button",
    { type: "button", className: "content-hit-open", dataset: { fileId: hit.file_id, page: String(hit.page), q }, "aria-label": `Open ${hit.filename} at page ${hit.page}` },
    el("span", { className: "content-hit-name", text: hit.filename }),
    el("span", { className: "badge badge-page", text: `p. ${hit.page}` }),
  );
  if (hit.shared_by) open.append(el("span", { className: "badge badge-shared", title: `Shared with you by ${hit.shared_by}`, text: `from ${hit.shared_by}` }));
  return el("li", { className: "content-hit" }, open, el("p", { className: "content-hit-snippet" }, markText(hit.snippet, terms)));
}

/** Wire the list once: a click on a match opens its preview at its page. */
export function initHits() {
  $("search-hits").addEventListener("click", (event) => {
    const open = event.target.closest(".content-hit-open");
    if (!open) return;
    previewById(open.dataset.fileId, { page: Number(open.dataset.page), query: open.dataset.q });
  });
}

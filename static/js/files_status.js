// The text status of a file on the Files page (issue #15): a badge that says whether
// its text is being read, is ready (pages and words) or why it could not be read, and a
// polite poll that updates the rows still processing until they are done.

import { api } from "./api.js";
import { el } from "./dom.js";

const REASONS = {
  encrypted: "password-protected",
  corrupt: "damaged file",
  unsupported: "format not indexed",
  too_large: "too large to index",
  error: "could not be read",
};
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 10000;
const MAX_ROWS_PER_POLL = 10;

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The badge for ``file.text_status`` (none: no badge). */
export function textBadge(file) {
  const status = file.text_status;
  if (status === "processing") {
    return el("span", { className: "badge badge-text", dataset: { textStatus: status }, title: "Reading the text so it can be searched", text: "Processing…" });
  }
  if (status === "ready") {
    const parts = [plural(file.pages || 0, "page")];
    if (file.words != null) parts.push(plural(file.words, "word"));
    return el("span", { className: "badge badge-text", dataset: { textStatus: status }, title: "Text indexed: searchable and readable by the assistant", text: parts.join(" · ") });
  }
  if (status === "failed") {
    const reason = REASONS[file.text_error] || REASONS.error;
    return el("span", { className: "badge badge-text", dataset: { textStatus: status }, title: "The text could not be indexed; the file can still be downloaded.", text: `Not indexed: ${reason}` });
  }
  return null;
}

/**
 * Polls GET /api/files/{id} for the rows of ``body`` whose text is processing, slower
 * each time nothing changed (1 s up to 10 s), not while the tab is hidden, and calls
 * ``onChange(file, row)`` for each row whose status moved on.
 */
export class TextStatusWatch {
  constructor(body, onChange) {
    this.body = body;
    this.onChange = onChange;
    this.timer = 0;
    this.delay = FIRST_DELAY_MS;
    document.addEventListener("visibilitychange", () => !document.hidden && this.scan());
  }

  /** Look again for processing rows (after a render or an upload): poll soon. */
  scan() {
    this.delay = FIRST_DELAY_MS;
    clearTimeout(this.timer);
    this.timer = 0;
    this.schedule();
  }

  pending() {
    return [...this.body.querySelectorAll('tr[data-text-status="processing"]')];
  }

  schedule() {
    if (this.timer || document.hidden || !this.pending().length) return;
    this.timer = setTimeout(() => this.poll(), this.delay);
  }

  async poll() {
    this.timer = 0;
    let changed = false;
    for (const row of this.pending().slice(0, MAX_ROWS_PER_POLL)) {
      try {
        const file = await api(`/api/files/${row.dataset.id}`);
        if (file.text_status !== "processing" && row.isConnected) {
          this.onChange(file, row);
          changed = true;
        }
      } catch (error) {
        if (error.code === "not_found") row.remove();
        // otherwise: try again at the next poll
      }
    }
    this.delay = changed ? FIRST_DELAY_MS : Math.min(MAX_DELAY_MS, this.delay * 1.5);
    this.schedule();
  }
}

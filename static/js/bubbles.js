// The pieces of a message bubble: tool cards, file chips with image previews (which
// zoom on click, see zoom.js) and the status note of an unfinished reply. Text is set
// with textContent only.

import { el } from "./dom.js";
import { formatSize, isRaster } from "./format.js";
import { icon } from "./icons.js";

export function statusNote(status) {
  const words = {
    stopped: "Stopped.",
    error: "The reply could not be finished.",
    interrupted: "The reply was interrupted before it finished.",
    disconnected: "Connection lost. Reconnecting to follow the reply…",
  };
  return el("p", { className: "msg-status", text: words[status] || status });
}

export function toolCard({ name, arguments: args, result, error, files = [], running = false }) {
  const status = running ? "running…" : error ? "failed" : "done";
  const summary = el(
    "summary",
    {},
    el("span", { className: "tool-icon" }, icon("bolt")),
    el("span", { className: "tool-name", text: name }),
    el("span", { className: `tool-status tool-${running ? "running" : error ? "failed" : "done"}`, text: status }),
  );
  const card = el(
    "details",
    { className: "tool-card", dataset: { tool: name } },
    summary,
    el("h4", { text: "Arguments" }),
    el("pre", { className: "tool-args", text: JSON.stringify(args ?? {}, null, 2) }),
  );
  if (!running) {
    card.append(el("h4", { text: error ? "Error" : "Result" }));
    card.append(el("pre", { className: "tool-result", text: error ? error.message || error.code : result || "" }));
  }
  if (files.length) card.append(fileChips(files));
  // Generated files matter more than the arguments: show them outside the fold too.
  const wrap = el("div", { className: "tool-block" }, card);
  if (files.length) wrap.append(fileChips(files, { previews: true }));
  return wrap;
}

export function fileChips(files, { previews = false } = {}) {
  const list = el("ul", { className: previews ? "chips chips-preview" : "chips" });
  for (const file of files) list.append(el("li", {}, fileChip(file, { preview: previews })));
  return list;
}

function fileChip(file, { preview = false } = {}) {
  const chip = el(
    "span",
    { className: "file-chip", dataset: { fileId: file.id } },
    el("span", { className: "chip-icon" }, icon(isRaster(file) ? "image" : "file")),
    el("a", { href: file.download_url, download: "", className: "chip-name", title: `Download ${file.filename}`, text: file.filename }),
    usedVersion(file),
    el("span", { className: "chip-size muted", text: formatSize(file.size) }),
  );
  if (!preview || !isRaster(file)) return chip;
  return el(
    "figure",
    { className: "file-preview" },
    el("img", {
      src: `${file.download_url}${file.download_url.includes("?") ? "&" : "?"}inline=1`,
      alt: `Preview of ${file.filename}`,
      className: "zoomable",
      tabindex: "0",
      title: "Click to enlarge",
      onload: () => document.dispatchEvent(new Event("chat:media-loaded")),
    }),
    el("figcaption", {}, chip),
  );
}

/** "v2" on a file a message used at an earlier version than the file's current one
 * (its link opens that version: the server points ``download_url`` at it). */
function usedVersion(file) {
  if (!file.current_version || file.version === file.current_version) return null;
  return el("span", {
    className: "badge badge-version",
    title: `This message used version ${file.version}; the file is now at version ${file.current_version}.`,
    text: `v${file.version}`,
  });
}

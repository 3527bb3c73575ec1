// One row of the Files table, built from a file object of GET /api/files, and the
// file object read back from a row the server rendered (templates/files/_row.html).

import { el } from "./dom.js";
import { CATEGORY_LABELS, formatDate, formatSize, isRaster, sourceLabel } from "./format.js";
import { textBadge } from "./files_status.js";
import { icon } from "./icons.js";
import { readConfig } from "./dom.js";

const me = readConfig("files-config").email;

export function row(file) {
  const name = file.filename;
  const url = file.download_url;
  const mine = file.user_email === me; // else shared with me: read-only actions
  const thumb = isRaster(file)
    ? el("img", { className: "thumb", loading: "lazy", decoding: "async", width: 40, height: 40, alt: "", src: `${url}?inline=1` })
    : el("span", { className: "thumb thumb-icon", "aria-hidden": "true", text: file.category.slice(0, 1).toUpperCase() });
  const actions = el(
    "span",
    { className: "row-actions" },
    iconButton("preview", "eye", `Preview ${name}`, "Preview"),
    el("a", { className: "icon-btn", href: url, download: "", dataset: { action: "download" }, "aria-label": `Download ${name}`, title: "Download" }, icon("download")),
    mine ? iconButton("share", "share", `Share ${name}`, "Share") : null,
    mine ? iconButton("tag", "tag", `Tag ${name} for chat`, "Tag for chat context", { "aria-pressed": String(file.tagged) }) : null,
    mine ? iconButton("history", "history", `Versions of ${name}`, "Versions: history, new version, compare") : null,
    mine ? iconButton("rename", "pencil", `Rename ${name}`, "Rename") : null,
    iconButton("tool", "bolt", `Run a tool on ${name}`, "Run a tool"),
    mine ? iconButton("delete", "trash", `Delete ${name}`, "Delete", { className: "icon-btn danger" }) : null,
  );
  return el(
    "tr",
    {
      dataset: {
        id: file.id,
        filename: name,
        contentType: file.content_type,
        category: file.category,
        tagged: String(file.tagged),
        downloadUrl: url,
        size: String(file.size),
        version: String(file.version ?? 1),
        textStatus: file.text_status || "none",
        pages: String(file.pages || 0),
      },
    },
    el("td", { className: "col-select" }, el("input", { type: "checkbox", className: "row-select", "aria-label": `Select ${name}` })),
    el(
      "td",
      { className: "col-name" },
      el(
        "span",
        { className: "name-cell" },
        thumb,
        el("span", { className: "filename", title: name, text: name }),
        file.version > 1
          ? el("button", { type: "button", className: "badge badge-version", dataset: { action: "history" }, "aria-label": `${name}: version ${file.version}, show history`, title: "Version history", text: `v${file.version}` })
          : null,
        file.tagged ? el("span", { className: "badge badge-tag", text: "tagged" }) : null,
        mine ? null : el("span", { className: "badge badge-shared", title: `Shared with you by ${file.user_email}`, text: `from ${file.user_email}` }),
        file.status === "broken"
          ? el("span", { className: "badge badge-broken", text: "content missing", title: file.status_detail || "The stored bytes are missing or damaged." })
          : null,
        textBadge(file),
      ),
    ),
    el("td", { className: "col-category", dataset: { label: "Category" }, text: CATEGORY_LABELS[file.category] || file.category }),
    el("td", { className: "col-source", dataset: { label: "Source" }, text: sourceLabel(file) }),
    el("td", { className: "col-size num", dataset: { label: "Size" }, text: formatSize(file.size) }),
    el("td", { className: "col-date", dataset: { label: "Date" } }, el("time", { datetime: file.created_at, text: formatDate(file.created_at) })),
    el("td", { className: "col-actions" }, actions),
  );
}

function iconButton(action, name, label, title, extra = {}) {
  return el("button", { type: "button", className: "icon-btn", dataset: { action }, "aria-label": label, title, ...extra }, icon(name));
}

export function fileOf(tr) {
  const d = tr.dataset;
  return {
    id: d.id,
    filename: d.filename,
    content_type: d.contentType,
    category: d.category,
    tagged: d.tagged === "true",
    download_url: d.downloadUrl,
    size: Number(d.size),
    version: Number(d.version) || 1,
    text_status: d.textStatus,
    pages: Number(d.pages),
  };
}


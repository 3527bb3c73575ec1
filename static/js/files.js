// The Files page. The server renders the first page of the table; from then on this
// script filters, sorts and pages through GET /api/files, and runs the row actions.

import { api } from "./api.js";
import { ask, clear, el, readConfig, showBanner } from "./dom.js";
import { CATEGORY_LABELS, formatDate, formatSize, isRaster, sourceLabel } from "./format.js";
import { icon } from "./icons.js";
import { buildToolForm } from "./toolform.js";
import { UploadList, acceptDrops } from "./uploads.js";

const config = readConfig("files-config");
const $ = (id) => document.getElementById(id);
const nodes = {
  form: $("filters"),
  q: $("f-q"),
  body: $("files-body"),
  empty: $("empty-state"),
  count: $("result-count"),
  prev: $("prev-page"),
  next: $("next-page"),
  selectAll: $("select-all"),
  bulkBar: $("bulk-bar"),
  bulkCount: $("bulk-count"),
};
const PREVIEW_TEXT_BYTES = 256 * 1024;
const PREVIEW_CSV_ROWS = 200;

const pager = $("pager");
const state = {
  page: Number(pager.dataset.page) || 1, // as the server rendered it
  pages: Number(pager.dataset.pages) || 1,
  request: null,
  selected: new Set(),
  tools: null,
};

// --- Loading and rendering the table -------------------------------------------------

function filters() {
  const data = new FormData(nodes.form);
  const query = new URLSearchParams();
  for (const name of ["q", "category", "source", "ordering"]) {
    const value = String(data.get(name) || "").trim();
    if (value && !(name === "ordering" && value === "-created_at")) query.set(name, value);
  }
  return query;
}

async function load({ page = state.page, focusTable = false } = {}) {
  state.request?.abort();
  const controller = new AbortController();
  state.request = controller;
  const query = filters();
  const pageQuery = new URLSearchParams(query);
  if (page > 1) pageQuery.set("page", page);
  history.replaceState(null, "", `${location.pathname}${pageQuery.size ? `?${pageQuery}` : ""}`);
  query.set("page", page);
  query.set("page_size", config.pageSize);
  nodes.body.setAttribute("aria-busy", "true");
  try {
    const data = await api(`/api/files?${query}`, { signal: controller.signal });
    state.page = page;
    render(data);
    if (focusTable) $("files-table").focus?.();
  } catch (error) {
    if (error.name === "AbortError") return;
    if (error.code === "not_found" && page > 1) return load({ page: 1 }); // past the last page
    showBanner(`Could not load your files: ${error.message}`);
  } finally {
    if (state.request === controller) nodes.body.setAttribute("aria-busy", "false");
  }
}

function render(data) {
  state.pages = Math.max(1, Math.ceil(data.count / config.pageSize));
  clear(nodes.body);
  for (const file of data.results) nodes.body.append(row(file));
  const filtered = filters();
  filtered.delete("ordering");
  nodes.empty.textContent = filtered.size ? "No files match these filters." : "No files yet. Upload one, or let a tool make one in the chat.";
  nodes.empty.hidden = data.results.length > 0;
  nodes.count.textContent = `${data.count} file${data.count === 1 ? "" : "s"} · page ${state.page} of ${state.pages}`;
  nodes.prev.hidden = state.page <= 1;
  nodes.next.hidden = state.page >= state.pages;
  state.selected.clear();
  updateSelection();
}

function row(file) {
  const name = file.filename;
  const url = file.download_url;
  const thumb = isRaster(file)
    ? el("img", { className: "thumb", loading: "lazy", decoding: "async", width: 40, height: 40, alt: "", src: `${url}?inline=1` })
    : el("span", { className: "thumb thumb-icon", "aria-hidden": "true", text: file.category.slice(0, 1).toUpperCase() });
  const actions = el(
    "span",
    { className: "row-actions" },
    iconButton("preview", "eye", `Preview ${name}`, "Preview"),
    el("a", { className: "icon-btn", href: url, download: "", dataset: { action: "download" }, "aria-label": `Download ${name}`, title: "Download" }, icon("download")),
    iconButton("tag", "tag", `Tag ${name} for chat`, "Tag for chat context", { "aria-pressed": String(file.tagged) }),
    iconButton("rename", "pencil", `Rename ${name}`, "Rename"),
    iconButton("tool", "bolt", `Run a tool on ${name}`, "Run a tool"),
    iconButton("delete", "trash", `Delete ${name}`, "Delete", { className: "icon-btn danger" }),
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
        file.tagged ? el("span", { className: "badge badge-tag", text: "tagged" }) : null,
        file.status === "broken"
          ? el("span", { className: "badge badge-broken", text: "content missing", title: file.status_detail || "The stored bytes are missing or damaged." })
          : null,
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

function fileOf(tr) {
  const d = tr.dataset;
  return {
    id: d.id,
    filename: d.filename,
    content_type: d.contentType,
    category: d.category,
    tagged: d.tagged === "true",
    download_url: d.downloadUrl,
    size: Number(d.size),
  };
}

async function refreshStats() {
  try {
    const stats = await api(`/api/users/${encodeURIComponent(config.email)}/files/stats`);
    const set = (name, text) => {
      const node = document.querySelector(`[data-stat="${name}"]`);
      if (node) node.textContent = text;
    };
    set("total_files", stats.total_files);
    set("total_size", formatSize(stats.total_size));
    set("upload_count", stats.upload_count);
    set("generated_count", stats.generated_count);
    set("quota", stats.quota_bytes ? `${Math.round(stats.quota_used_fraction * 100)}%` : "No limit");
  } catch {
    // the numbers stay as they were; the table's own errors are reported
  }
}

function reloadAll() {
  refreshStats();
  return load();
}

// --- Filters and paging ---------------------------------------------------------------

let typing = 0;
nodes.q.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => load({ page: 1 }), 250);
});
nodes.form.addEventListener("change", (event) => {
  if (event.target !== nodes.q) load({ page: 1 });
});
nodes.form.addEventListener("submit", (event) => {
  event.preventDefault();
  load({ page: 1 });
});
nodes.prev.addEventListener("click", (event) => {
  event.preventDefault();
  load({ page: Math.max(1, state.page - 1) });
});
nodes.next.addEventListener("click", (event) => {
  event.preventDefault();
  load({ page: Math.min(state.pages, state.page + 1) });
});

// --- Selection and bulk actions -------------------------------------------------------

function updateSelection() {
  const boxes = nodes.body.querySelectorAll(".row-select");
  state.selected = new Set(Array.from(boxes).filter((box) => box.checked).map((box) => box.closest("tr").dataset.id));
  nodes.bulkBar.hidden = state.selected.size === 0;
  nodes.bulkCount.textContent = `${state.selected.size} selected`;
  nodes.selectAll.checked = boxes.length > 0 && state.selected.size === boxes.length;
  nodes.selectAll.indeterminate = state.selected.size > 0 && state.selected.size < boxes.length;
}

nodes.selectAll.addEventListener("change", () => {
  for (const box of nodes.body.querySelectorAll(".row-select")) box.checked = nodes.selectAll.checked;
  updateSelection();
});
nodes.body.addEventListener("change", (event) => {
  if (event.target.classList.contains("row-select")) updateSelection();
});

nodes.bulkBar.addEventListener("click", async (event) => {
  const action = event.target.closest("[data-bulk]")?.dataset.bulk;
  if (!action) return;
  const ids = [...state.selected];
  if (!ids.length) return;
  if (action === "delete") await bulkDelete(ids);
  if (action === "tag" || action === "untag") await bulkTag(ids, action === "tag");
  if (action === "zip") bulkZip(ids);
});

async function each(ids, work) {
  const failures = [];
  for (const id of ids) {
    try {
      await work(id);
    } catch (error) {
      if (error.code !== "not_found") failures.push(error.message);
    }
  }
  return failures;
}

async function bulkDelete(ids) {
  if (!(await confirmDelete(`Delete ${ids.length} file${ids.length === 1 ? "" : "s"}? This cannot be undone.`))) return;
  const failures = await each(ids, (id) => api(`/api/files/${id}`, { method: "DELETE" }));
  if (failures.length) showBanner(`Some files could not be deleted: ${failures[0]}`);
  await reloadAll();
}

async function bulkTag(ids, tagged) {
  const failures = await each(ids, (id) => api(`/api/files/${id}`, { method: "PATCH", json: { tagged } }));
  if (failures.length) showBanner(`Some files could not be changed: ${failures[0]}`);
  await load();
}

/** The zip is built while it downloads (GET /api/files/zip): no files.zip is stored. */
function bulkZip(ids) {
  const query = ids.map((id) => `ids=${encodeURIComponent(id)}`).join("&");
  triggerDownload(`/api/files/zip?${query}`);
}

function triggerDownload(url) {
  const link = el("a", { href: url, download: "", hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
}

// --- Row actions ---------------------------------------------------------------------

nodes.body.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action]");
  if (!button || button.dataset.action === "download") return;
  const tr = button.closest("tr");
  const file = fileOf(tr);
  const actions = { preview, tag: toggleTag, rename, tool: openToolDialog, delete: deleteOne };
  await actions[button.dataset.action]?.(file, tr);
});

// A thumbnail that cannot load (the blob is gone, storage is down) becomes an icon.
nodes.body.addEventListener(
  "error",
  (event) => {
    if (event.target.tagName !== "IMG") return;
    event.target.replaceWith(el("span", { className: "thumb thumb-icon", "aria-hidden": "true", text: "!" }));
  },
  true,
);

async function toggleTag(file, tr) {
  try {
    const updated = await api(`/api/files/${file.id}`, { method: "PATCH", json: { tagged: !file.tagged } });
    tr.replaceWith(row(updated));
  } catch (error) {
    showBanner(`Could not change the tag of ${file.filename}: ${error.message}`);
  }
}

async function rename(file, tr) {
  const dialog = $("rename-dialog");
  const input = $("rename-input");
  const problem = $("rename-error");
  problem.hidden = true;
  input.value = file.filename;
  setTimeout(() => {
    const dot = file.filename.lastIndexOf(".");
    input.setSelectionRange(0, dot > 0 ? dot : file.filename.length);
  }, 0);
  while ((await ask(dialog)) === "ok") {
    try {
      const updated = await api(`/api/files/${file.id}`, { method: "PATCH", json: { filename: input.value } });
      tr.replaceWith(row(updated));
      return;
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
    }
  }
}

function confirmDelete(text) {
  $("confirm-text").textContent = text;
  return ask($("confirm-dialog")).then((answer) => answer === "ok");
}

async function deleteOne(file, tr) {
  if (!(await confirmDelete(`Delete “${file.filename}”? This cannot be undone.`))) return;
  try {
    await api(`/api/files/${file.id}`, { method: "DELETE" });
    tr.remove();
  } catch (error) {
    if (error.code !== "not_found") {
      showBanner(`Could not delete ${file.filename}: ${error.message}`);
      return;
    }
  }
  await reloadAll();
}

// --- Preview ---------------------------------------------------------------------------

const TEXT_TYPES = /^(text\/|application\/(json|yaml|toml|xml|x-ndjson|rtf))/;

function previewKind(file) {
  if (isRaster(file)) return "image";
  if (file.content_type === "application/pdf") return "pdf";
  if (file.content_type === "text/csv" || /\.csv$/i.test(file.filename)) return "csv";
  if (TEXT_TYPES.test(file.content_type) || file.category === "code") return "text";
  return null;
}

let previewUrl = null;
$("preview-dialog").addEventListener("close", () => {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  clear($("preview-body"));
});

async function preview(file) {
  const dialog = $("preview-dialog");
  const body = clear($("preview-body"));
  $("preview-title").textContent = file.filename;
  const kind = previewKind(file);
  const footer = el(
    "p",
    { className: "preview-footer muted small" },
    `${formatSize(file.size)} · ${file.content_type} · `,
    el("a", { href: file.download_url, download: "", text: "Download" }),
  );
  dialog.showModal();
  if (!kind) {
    body.append(el("p", { text: "There is no preview for this kind of file. Download it to open it." }), footer);
    return;
  }
  if (kind === "image") {
    body.append(el("img", { className: "preview-image", src: `${file.download_url}?inline=1`, alt: file.filename }), footer);
    return;
  }
  body.append(el("p", { className: "muted", text: "Loading the preview…" }));
  try {
    const node = kind === "pdf" ? await pdfPreview(file) : await textPreview(file, kind);
    clear(body).append(node, footer);
  } catch (error) {
    clear(body).append(el("p", { className: "error", role: "alert", text: `The preview could not be loaded: ${error.message}` }), footer);
  }
}

async function fetchBody(file, { range } = {}) {
  let response;
  try {
    response = await fetch(file.download_url, { headers: range ? { Range: range } : {}, credentials: "same-origin" });
  } catch {
    throw new Error("Connection lost. Check your network and try again.");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const words = {
      404: "the file no longer exists.",
      503: "file storage is unavailable right now. Please try again in a moment.",
    };
    throw new Error(body?.message || words[response.status] || `the server answered ${response.status}.`);
  }
  return response;
}

async function pdfPreview(file) {
  // The download may not be framed (X-Frame-Options: DENY), so the PDF is shown
  // from the fetched bytes through a blob: URL.
  const blob = await (await fetchBody(file)).blob();
  previewUrl = URL.createObjectURL(new Blob([blob], { type: "application/pdf" }));
  return el("iframe", { className: "preview-pdf", src: previewUrl, title: `PDF preview of ${file.filename}` });
}

async function textPreview(file, kind) {
  const response = await fetchBody(file, { range: `bytes=0-${PREVIEW_TEXT_BYTES - 1}` });
  const text = new TextDecoder("utf-8").decode(await response.arrayBuffer());
  const cut = file.size > PREVIEW_TEXT_BYTES;
  const note = cut ? el("p", { className: "muted small", text: `Showing the first ${formatSize(PREVIEW_TEXT_BYTES)} of ${formatSize(file.size)}.` }) : null;
  if (kind === "csv") return el("div", {}, csvTable(text, cut), note);
  return el("div", {}, el("pre", { className: "preview-text", text }), note);
}

/** A table of the CSV's first rows (quoted fields and "" escapes understood). */
function csvTable(text, cut) {
  const rows = parseCsv(text, PREVIEW_CSV_ROWS + 1);
  if (cut && rows.length > 1) rows.pop(); // the last row may be cut mid-way
  const [head = [], ...rest] = rows;
  const table = el("table", { className: "csv-table" });
  table.append(el("thead", {}, el("tr", {}, head.map((cell) => el("th", { scope: "col", text: cell })))));
  table.append(el("tbody", {}, rest.map((cells) => el("tr", {}, cells.map((cell) => el("td", { text: cell }))))));
  const wrap = el("div", { className: "table-wrap" }, table);
  if (rows.length > PREVIEW_CSV_ROWS) wrap.append(el("p", { className: "muted small", text: `Showing the first ${PREVIEW_CSV_ROWS} rows.` }));
  return wrap;
}

function parseCsv(text, maxRows) {
  const rows = [];
  let rowCells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      rowCells.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i += 1;
      rowCells.push(cell);
      rows.push(rowCells);
      rowCells = [];
      cell = "";
    } else cell += ch;
  }
  if ((cell || rowCells.length) && rows.length < maxRows) rows.push([...rowCells, cell]);
  return rows;
}

// --- Running a tool --------------------------------------------------------------------

async function tools() {
  if (!state.tools) state.tools = await api("/api/tools");
  return state.tools;
}

/** Whether ``tool`` reads ``file`` (its file parameters' "x-accept" extensions). */
function accepts(tool, file) {
  const properties = Object.values(tool.parameters?.properties || {});
  const extensions = properties.flatMap((spec) => spec["x-accept"] || []);
  const name = file.filename.toLowerCase();
  return !extensions.length || extensions.some((ext) => name.endsWith(ext));
}

let toolFile = null;
let toolForm = null;

async function openToolDialog(file) {
  toolFile = file;
  const dialog = $("tool-dialog");
  const select = $("tool-select");
  $("tool-title").textContent = `Run a tool on ${file.filename}`;
  clear($("tool-result"));
  dialog.showModal();
  try {
    const list = (await tools()).filter((tool) => accepts(tool, file));
    clear(select).append(...list.map((tool) => el("option", { value: tool.name, text: tool.name })));
    const suggested = list.find((tool) => suggests(tool.name, file)) || list[0];
    if (suggested) select.value = suggested.name;
    describeTool();
  } catch (error) {
    $("tool-result").append(el("p", { className: "error", role: "alert", text: `Could not list the tools: ${error.message}` }));
  }
}

function suggests(name, file) {
  if (file.category === "image") return name === "image_info";
  if (/\.csv$/i.test(file.filename)) return name === "csv_summary";
  return name === "text_search";
}

function describeTool() {
  const tool = (state.tools || []).find((t) => t.name === $("tool-select").value);
  $("tool-description").textContent = tool?.description || "";
  if (!tool) return;
  const onError = (text) => $("tool-result").replaceChildren(el("p", { className: "error", role: "alert", text }));
  toolForm = buildToolForm($("tool-fields"), tool, { preselect: toolFile.id, onError });
}

$("tool-select").addEventListener("change", describeTool);

$("tool-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = clear($("tool-result"));
  if (!toolForm) return;
  const args = toolForm.values();
  const run = $("tool-run");
  run.disabled = true;
  result.append(el("p", { className: "muted", text: "Running…" }));
  try {
    const outcome = await api(`/api/tools/${encodeURIComponent($("tool-select").value)}/run`, { method: "POST", json: args });
    clear(result).append(el("pre", { className: "tool-output", text: outcome.text }));
    if (outcome.files.length) {
      result.append(
        el("h3", { text: "Generated files" }),
        el(
          "ul",
          { className: "chips" },
          outcome.files.map((f) =>
            el("li", {}, el("span", { className: "file-chip" }, el("a", { href: f.download_url, download: "", text: f.filename }), el("span", { className: "muted", text: formatSize(f.size) }))),
          ),
        ),
      );
      reloadAll();
    }
  } catch (error) {
    clear(result).append(el("p", { className: "error", role: "alert", text: error.message }));
  } finally {
    run.disabled = false;
  }
});

// --- Uploads ---------------------------------------------------------------------------

const uploads = new UploadList($("uploads"), $("upload-status"), {
  maxBytes: config.maxUploadBytes,
  onDiscarded: () => reloadAll(),
  onUploaded: () => {
    clearTimeout(uploads.refresh);
    uploads.refresh = setTimeout(reloadAll, 150);
  },
});

$("upload-input").addEventListener("change", (event) => {
  uploads.add(event.target.files);
  event.target.value = "";
});
acceptDrops(document.body, (files) => uploads.add(files), $("dropzone"));

updateSelection();

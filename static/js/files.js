// The Files page. The server renders the first page of the table; from then on this
// script filters, sorts and pages through GET /api/files (or, in "Contents" mode,
// through GET /api/search), keeps the text status of new files up to date, and runs
// the row actions.

import { api } from "./api.js";
import { ask, clear, el, readConfig, showBanner } from "./dom.js";
import { fileOf, row } from "./files_row.js";
import { initHits, renderHits, searchContents } from "./files_search.js";
import { TextStatusWatch } from "./files_status.js";
import { initToolDialog, openToolDialog } from "./files_tools.js";
import { formatSize } from "./format.js";
import { preview } from "./preview.js";
import { initTrash } from "./trash.js";
import { openShareDialog } from "./sharing.js";
import { UploadList, acceptDrops } from "./uploads.js";
import { chooseUploadTarget, initHistoryDialog, openHistory } from "./versions.js";

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
  list: $("files-list"),
  hits: $("content-results"),
  ordering: $("f-ordering"),
};

const pager = $("pager");
const state = {
  page: Number(pager.dataset.page) || 1, // as the server rendered it
  pages: Number(pager.dataset.pages) || 1,
  request: null,
  selected: new Set(),
};

// --- Loading and rendering the table -------------------------------------------------

const contentMode = () => new FormData(nodes.form).get("mode") === "contents";

/** The filters as query parameters of the list (and of the search: not "mode"). */
function filters() {
  const data = new FormData(nodes.form);
  const query = new URLSearchParams();
  for (const name of ["q", "category", "source", "ordering", "shared"]) {
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
  const searching = contentMode() && query.has("q");
  const pageQuery = new URLSearchParams(query);
  if (contentMode()) pageQuery.set("mode", "contents");
  if (page > 1) pageQuery.set("page", page);
  history.replaceState(null, "", `${location.pathname}${pageQuery.size ? `?${pageQuery}` : ""}`);
  query.set("page", page);
  query.set("page_size", config.pageSize);
  nodes.body.setAttribute("aria-busy", "true");
  try {
    if (searching) query.delete("ordering");
    const data = searching ? await searchContents(query, { signal: controller.signal }) : await api(`/api/files?${query}`, { signal: controller.signal });
    state.page = page;
    showing(searching);
    if (searching) renderSearch(data, query.get("q"));
    else render(data);
    if (focusTable) $("files-table").focus?.();
  } catch (error) {
    if (error.name === "AbortError") return;
    if (error.code === "not_found" && page > 1) return load({ page: 1 }); // past the last page
    showBanner(`Could not load your files: ${error.message}`);
  } finally {
    if (state.request === controller) nodes.body.setAttribute("aria-busy", "false");
  }
}

/** Show the file table, or the content search's matches in its place. */
function showing(searching) {
  nodes.list.hidden = searching;
  nodes.hits.hidden = !searching;
  if (searching) nodes.bulkBar.hidden = true;
}

function renderSearch(data, q) {
  state.pages = Math.max(1, Math.ceil(data.count / config.pageSize));
  const filtered = filters();
  for (const name of ["q", "ordering"]) filtered.delete(name);
  renderHits(data, q, { filtered: filtered.size > 0 });
  // Past 1,000 matches the server stops counting (count_exact false): say "1000+".
  const counted = data.count_exact === false ? `${data.count - 1}+ matches` : `${data.count} match${data.count === 1 ? "" : "es"}`;
  nodes.count.textContent = `${counted} in file contents · page ${state.page} of ${data.count_exact === false ? "many" : state.pages}`;
  nodes.prev.hidden = state.page <= 1;
  nodes.next.hidden = state.page >= state.pages;
}

function render(data) {
  state.pages = Math.max(1, Math.ceil(data.count / config.pageSize));
  clear(nodes.body);
  for (const file of data.results) nodes.body.append(row(file));
  const filtered = filters();
  filtered.delete("ordering");
  const view = filtered.get("shared");
  filtered.delete("shared");
  const none = { with_me: "Nothing is shared with you yet.", by_me: "You have not shared any files yet." }[view];
  nodes.empty.textContent = filtered.size ? "No files match these filters." : none || "No files yet. Upload one, or let a tool make one in the chat.";
  nodes.empty.hidden = data.results.length > 0;
  nodes.count.textContent = `${data.count} file${data.count === 1 ? "" : "s"} · page ${state.page} of ${state.pages}`;
  nodes.prev.hidden = state.page <= 1;
  nodes.next.hidden = state.page >= state.pages;
  state.selected.clear();
  updateSelection();
  watch.scan();
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
    const held = (stats.old_versions_bytes || 0) + (stats.trash_bytes || 0);
    const note = document.getElementById("quota-note");
    if (note) {
      note.hidden = held === 0;
      note.textContent = `Includes ${formatSize(stats.old_versions_bytes || 0)} in earlier versions and ${formatSize(stats.trash_bytes || 0)} in the trash.`;
    }
  } catch {
    // the numbers stay as they were; the table's own errors are reported
  }
}

function reloadAll() {
  refreshStats();
  return load();
}

initToolDialog({ onFilesMade: () => reloadAll() });
initHistoryDialog({ onChange: () => reloadAll() });
initTrash({ trashDays: config.trashDays, onChange: () => reloadAll() });
initHits();
// A tag shared or revoked changes what "Shared by me" lists.
document.addEventListener("shares-changed", () => {
  if (filters().get("shared") === "by_me") load();
});

// A row whose text was processing is redrawn when it is ready or failed (selection kept).
const watch = new TextStatusWatch(nodes.body, (file, tr) => {
  const selected = tr.querySelector(".row-select")?.checked;
  const fresh = row(file);
  fresh.querySelector(".row-select").checked = Boolean(selected);
  tr.replaceWith(fresh);
});

// --- Filters and paging ---------------------------------------------------------------

let typing = 0;
nodes.q.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => load({ page: 1 }), 250);
});
nodes.form.addEventListener("change", (event) => {
  if (event.target.name === "mode") describeMode();
  if (event.target !== nodes.q) load({ page: 1 });
});

/** The search box's label and the sort's availability follow the mode. */
function describeMode() {
  const contents = contentMode();
  $("f-q-label").textContent = contents ? "Search in file contents" : "Search by name";
  nodes.q.placeholder = contents ? "e.g. quarterly revenue" : "e.g. report";
  nodes.ordering.disabled = contents; // matches come best first
}
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
  if (!(await confirmDelete(`Move ${ids.length} file${ids.length === 1 ? "" : "s"} to the trash? You can restore ${ids.length === 1 ? "it" : "them"} for ${config.trashDays} days.`))) return;
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
  const showHistory = (chosen) => openHistory(chosen, { onChange: () => reloadAll() });
  const actions = { preview, share: openShareDialog, tag: toggleTag, rename, tool: openToolDialog, delete: deleteOne, history: showHistory };
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
  $("confirm-ok").textContent = "Move to trash";
  return ask($("confirm-dialog")).then((answer) => answer === "ok");
}

async function deleteOne(file, tr) {
  if (!(await confirmDelete(`Move “${file.filename}” to the trash? You can restore it for ${config.trashDays} days, with all its versions.`))) return;
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

// --- Uploads ---------------------------------------------------------------------------

const uploads = new UploadList($("uploads"), $("upload-status"), {
  maxBytes: config.maxUploadBytes,
  chooseTarget: chooseUploadTarget,
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

if (contentMode()) {
  describeMode();
  if (nodes.q.value.trim()) load(); // the server rendered the list; show the matches
}
updateSelection();
watch.scan();

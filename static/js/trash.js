// The Trash view on the Files page: what you deleted (and what deleting a chat moved
// here), restorable for FILES_TRASH_DAYS; restore or delete forever, one or many.

import { api } from "./api.js";
import { ask, el, showBanner } from "./dom.js";
import { formatDate, formatSize } from "./format.js";

const $ = (id) => document.getElementById(id);
const DAY_MS = 24 * 60 * 60 * 1000;

export function initTrash({ trashDays, onChange = () => {} }) {
  const dialog = $("trash-dialog");
  const list = $("trash-list");
  const selectAll = $("trash-select-all");

  const selected = () => [...list.querySelectorAll(".trash-select:checked")].map((box) => box.closest("li").dataset.id);

  function updateBar() {
    const count = selected().length;
    $("trash-selected").textContent = count ? `${count} selected` : "";
    for (const button of dialog.querySelectorAll("[data-trash-bulk]")) button.disabled = count === 0;
    const boxes = list.querySelectorAll(".trash-select");
    selectAll.checked = boxes.length > 0 && count === boxes.length;
    selectAll.indeterminate = count > 0 && count < boxes.length;
  }

  async function load() {
    list.setAttribute("aria-busy", "true");
    try {
      const page = await api("/api/trash?page_size=200");
      $("trash-count").textContent = page.count ? `(${page.count})` : "";
      $("trash-empty-state").hidden = page.results.length > 0;
      $("trash-empty").disabled = page.results.length === 0;
      list.replaceChildren(...page.results.map(item));
    } catch (error) {
      list.replaceChildren(el("li", { className: "error", text: `Could not load the trash: ${error.message}` }));
    } finally {
      list.setAttribute("aria-busy", "false");
      updateBar();
    }
  }

  function item(file) {
    const purge = new Date(new Date(file.trashed_at).getTime() + trashDays * DAY_MS);
    const days = Math.max(0, Math.ceil((purge.getTime() - Date.now()) / DAY_MS));
    const versions = file.version > 1 ? ` · ${file.version} versions` : "";
    return el(
      "li",
      { className: "trash-item", dataset: { id: file.id } },
      el("input", { type: "checkbox", className: "trash-select", "aria-label": `Select ${file.filename}` }),
      el(
        "span",
        { className: "trash-main" },
        el("span", { className: "filename", title: file.filename, text: file.filename }),
        el("span", { className: "muted small", text: `${formatSize(file.size)}${versions} · deleted ${formatDate(file.trashed_at)} · deleted for good in ${days} day${days === 1 ? "" : "s"}` }),
      ),
      el(
        "span",
        { className: "trash-actions" },
        el("button", { type: "button", className: "btn btn-small", text: "Restore", "aria-label": `Restore ${file.filename}`, onclick: () => act([file.id], "restore") }),
        el("button", { type: "button", className: "btn btn-small btn-danger", text: "Delete forever", "aria-label": `Delete ${file.filename} forever`, onclick: () => act([file.id], "delete") }),
      ),
    );
  }

  async function act(ids, action) {
    if (action === "delete" && !(await confirmForever(`Delete ${ids.length} file${ids.length === 1 ? "" : "s"} forever, with every version? This cannot be undone.`))) return;
    const failures = [];
    for (const id of ids) {
      try {
        if (action === "restore") await api(`/api/files/${id}/restore`, { method: "POST" });
        else await api(`/api/files/${id}?permanent=true`, { method: "DELETE" });
      } catch (error) {
        if (error.code !== "not_found") failures.push(error.message);
      }
    }
    if (failures.length) showBanner(`Some files could not be changed: ${failures[0]}`);
    await load();
    onChange();
  }

  function confirmForever(text) {
    $("confirm-text").textContent = text;
    $("confirm-ok").textContent = "Delete forever";
    return ask($("confirm-dialog")).then((answer) => answer === "ok");
  }

  $("open-trash").addEventListener("click", async () => {
    dialog.showModal();
    await load();
  });
  list.addEventListener("change", updateBar);
  selectAll.addEventListener("change", () => {
    for (const box of list.querySelectorAll(".trash-select")) box.checked = selectAll.checked;
    updateBar();
  });
  dialog.addEventListener("click", (event) => {
    const bulk = event.target.closest("[data-trash-bulk]")?.dataset.trashBulk;
    if (bulk) act(selected(), bulk);
  });
  $("trash-empty").addEventListener("click", async () => {
    if (!(await confirmForever("Empty the trash? Every file in it is deleted forever, with all its versions."))) return;
    try {
      await api("/api/trash", { method: "DELETE" });
    } catch (error) {
      showBanner(`Could not empty the trash: ${error.message}`);
    }
    await load();
    onChange();
  });
  return { load };
}

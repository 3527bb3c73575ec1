// The upload list shared by the chat composer and the Files page: one row per file
// with a progress bar, then either "done" or the reason it failed, in words.

import { api, uploadFile } from "./api.js";
import { el } from "./dom.js";
import { formatSize } from "./format.js";
import { icon } from "./icons.js";

export class UploadList {
  /**
   * @param list      the <ul> that shows the uploads
   * @param status    a live region announcing progress to screen readers
   * @param maxBytes  the server's upload limit, checked before sending
   */
  constructor(list, status, { maxBytes = 0, onUploaded = () => {}, removable = false, deleteOnRemove = false, onDiscarded = () => {}, chooseTarget = null } = {}) {
    this.onDiscarded = onDiscarded;
    // async (file) => upload URL, or null to skip the file (the Files page asks "new
    // version or keep both" when the name is taken; see versions.js)
    this.chooseTarget = chooseTarget;
    this.list = list;
    this.deleteOnRemove = deleteOnRemove; // the chat: × on a chip deletes what it uploaded
    this.status = status;
    this.maxBytes = maxBytes;
    this.onUploaded = onUploaded;
    this.removable = removable;
    this.inFlight = new Set();
  }

  /** Upload every file; resolves when all have finished (failed ones included). */
  add(files, { session = null } = {}) {
    const jobs = Array.from(files).map((file) => this.uploadTo(file, session));
    if (jobs.length) this.announce(`Uploading ${jobs.length} file${jobs.length === 1 ? "" : "s"}…`);
    return Promise.allSettled(jobs);
  }

  async uploadTo(file, session) {
    const url = this.chooseTarget ? await this.chooseTarget(file) : "/api/files";
    return url ? this.uploadOne(file, session, url) : null;
  }

  uploadOne(file, session, url = "/api/files") {
    const row = this.row(file);
    this.list.append(row.item);
    if (this.maxBytes && file.size > this.maxBytes) {
      this.fail(row, `${file.name} is too large: the limit is ${formatSize(this.maxBytes)}.`);
      return Promise.resolve(null);
    }
    if (file.size === 0) {
      this.fail(row, `${file.name || "The file"} is empty (0 bytes); empty files are not stored.`);
      return Promise.resolve(null);
    }
    const job = uploadFile(file, {
      session,
      url,
      onProgress: (fraction) => {
        row.bar.value = Math.round(fraction * 100);
      },
    })
      .then((stored) => {
        row.item.dataset.state = "done";
        row.item.dataset.fileId = stored.id;
        row.bar.value = 100;
        row.state.textContent = "Uploaded";
        this.announce(`${file.name} uploaded.`);
        if (row.item.dataset.removed) this.discard(stored.id); // removed while uploading
        else {
          this.onUploaded(stored, row.item);
          this.offerExisting(row, stored);
        }
        return stored;
      })
      .catch((error) => {
        this.fail(row, file.name ? `${file.name}: ${error.message}` : error.message);
        return null;
      })
      .finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
    return job;
  }

  /** A chip for a file already stored (picked with @): removing it only detaches it. */
  addExisting(stored) {
    if (this.list.querySelector(`li[data-file-id="${CSS.escape(stored.id)}"]`)) return;
    const row = this.row({ name: stored.filename, size: stored.size ?? 0 });
    row.item.dataset.state = "done";
    row.item.dataset.fileId = stored.id;
    row.item.dataset.existing = "true";
    row.bar.remove();
    row.state.textContent = "Attached";
    if (stored.size == null) row.item.querySelector(".upload-size").textContent = ""; // a search hit
    this.list.append(row.item);
    this.announce(`${stored.filename} attached.`);
  }

  row(file) {
    const bar = el("progress", { max: 100, value: 0, "aria-label": `Uploading ${file.name}` });
    const state = el("span", { className: "upload-state", text: "Uploading…" });
    const remove = el("button", {
      type: "button",
      className: "icon-btn upload-remove",
      "aria-label": `Remove ${file.name}`,
      title: "Remove",
    }, icon("close"));
    const item = el(
      "li",
      { className: "upload", dataset: { state: "uploading" } },
      el("span", { className: "upload-name", text: file.name, title: file.name }),
      el("span", { className: "upload-size muted", text: formatSize(file.size) }),
      bar,
      state,
      remove,
    );
    remove.addEventListener("click", () => {
      item.remove();
      item.dataset.removed = "true";
      if (item.dataset.fileId && !item.dataset.existing) this.discard(item.dataset.fileId);
    });
    return { item, bar, state };
  }

  /** Same bytes (sha256) already stored under another file: offer to use that one. */
  async offerExisting(row, stored) {
    if (!stored.checksum) return;
    let same;
    try {
      const page = await api(`/api/files?checksum=${stored.checksum}&page_size=5&ordering=created_at`);
      same = page.results.find((file) => file.id !== stored.id);
    } catch {
      return; // only an offer: the upload itself succeeded
    }
    if (!same || !row.item.isConnected) return;
    const use = el("button", { type: "button", className: "btn btn-ghost btn-small", text: `Use ${same.filename}` });
    const keep = el("button", { type: "button", className: "btn btn-ghost btn-small", text: "Keep both" });
    const offer = el(
      "span",
      { className: "duplicate-offer", role: "group", "aria-label": "Duplicate upload" },
      `Same content as ${same.filename}, already in your files.`,
      use,
      keep,
    );
    row.state.replaceChildren(offer);
    keep.addEventListener("click", () => (row.state.textContent = "Uploaded (kept both)"));
    use.addEventListener("click", async () => {
      try {
        await api(`/api/files/${stored.id}`, { method: "DELETE" });
      } catch (error) {
        row.state.textContent = `Could not remove the copy: ${error.message}`;
        return;
      }
      Object.assign(row.item.dataset, { fileId: same.id, existing: "true" });
      row.item.querySelector(".upload-name").textContent = same.filename;
      row.state.textContent = "Using the file you already had";
      this.announce(`Using ${same.filename}; the copy was removed.`);
      this.onDiscarded(stored.id);
    });
  }

  /** Deletes a file this list uploaded and the user then removed (the chat's chips). */
  discard(fileId) {
    if (!this.deleteOnRemove) return;
    api(`/api/files/${fileId}`, { method: "DELETE" })
      .then(() => {
        this.announce("The removed upload was deleted.");
        this.onDiscarded(fileId);
      })
      .catch((error) => this.announce(`Could not delete the removed upload: ${error.message}`));
  }

  fail(row, message) {
    row.item.dataset.state = "error";
    row.bar.remove();
    row.state.textContent = message;
    row.state.setAttribute("role", "alert");
    this.announce(message);
  }

  announce(text) {
    if (this.status) this.status.textContent = text;
  }

  async settled() {
    await Promise.allSettled([...this.inFlight]);
  }
}

/** Call onFiles with the files dropped on target; mark it while files hover over it. */
export function acceptDrops(target, onFiles, marker = target) {
  let depth = 0;
  const hasFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");
  target.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth += 1;
    marker.classList.add("dragging");
  });
  target.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  target.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) marker.classList.remove("dragging");
  });
  target.addEventListener("drop", (event) => {
    const files = event.dataTransfer?.files;
    depth = 0;
    marker.classList.remove("dragging");
    if (!files || !files.length) return;
    event.preventDefault();
    onFiles(files);
  });
}

// The chat's side panel: the files of this chat and the user's tagged files, each with
// a Tag/Untag toggle. Lists come from GET /api/chats/{id}/files and
// GET /api/files?tagged=true; the chat page also feeds it its files_update frames.

import { api } from "./api.js";
import { clear, el, showBanner } from "./dom.js";
import { formatSize } from "./format.js";

export class FilesPanel {
  constructor({ sessionFiles, taggedFiles, panel, toggle }, sessionId) {
    Object.assign(this, { sessionList: sessionFiles, taggedList: taggedFiles, panel, toggle, sessionId });
    this.sessionFiles = [];
    this.tagged = [];
    panel.addEventListener("click", (event) => this.onToggleTag(event));
    toggle.addEventListener("click", () => {
      const open = panel.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
      if (open) panel.querySelector("h2").focus?.();
    });
  }

  setSessionFiles(files) {
    this.sessionFiles = files || [];
    renderFileList(this.sessionList, this.sessionFiles, "No files in this chat yet.");
  }

  async loadSessionFiles() {
    const id = this.sessionId();
    if (!id) return;
    try {
      this.setSessionFiles(await api(`/api/chats/${id}/files`));
    } catch (error) {
      if (error.code !== "not_found") showBanner(`Could not load the chat's files: ${error.message}`);
    }
  }

  async loadTagged() {
    try {
      const page = await api("/api/files?tagged=true&page_size=100");
      this.tagged = page.results;
      renderFileList(this.taggedList, this.tagged, "No tagged files. Tag a file to send it with every message.");
    } catch (error) {
      clear(this.taggedList).append(el("li", { className: "error", text: error.message }));
    }
  }

  async onToggleTag(event) {
    const toggle = event.target.closest(".tag-toggle");
    if (!toggle) return;
    const tagged = toggle.getAttribute("aria-pressed") !== "true";
    toggle.disabled = true;
    try {
      const file = await api(`/api/files/${toggle.dataset.fileId}`, { method: "PATCH", json: { tagged } });
      this.setSessionFiles(this.sessionFiles.map((f) => (f.id === file.id ? file : f)));
      await this.loadTagged();
    } catch (error) {
      toggle.disabled = false;
      showBanner(`Could not change the tag: ${error.message}`);
    }
  }
}

function renderFileList(list, files, emptyText) {
  clear(list);
  if (!files.length) {
    list.append(el("li", { className: "empty muted", text: emptyText }));
    return;
  }
  for (const file of files) {
    const toggle = el("button", {
      type: "button",
      className: "tag-toggle",
      "aria-pressed": file.tagged ? "true" : "false",
      "aria-label": `${file.tagged ? "Untag" : "Tag"} ${file.filename}`,
      title: file.tagged ? "Tagged: sent with every message. Click to untag." : "Tag: send with every message",
      dataset: { fileId: file.id },
      text: file.tagged ? "Tagged" : "Tag",
    });
    list.append(
      el(
        "li",
        { className: "panel-file", dataset: { fileId: file.id } },
        el("a", { href: file.download_url, download: "", className: "panel-file-name", title: file.filename, text: file.filename }),
        el("span", { className: "muted small", text: formatSize(file.size) }),
        toggle,
      ),
    );
  }
}

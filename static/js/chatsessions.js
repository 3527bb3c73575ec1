// Opening, starting, renaming and deleting chats.

import { api } from "./api.js";
import { ask, clear, el, showBanner } from "./dom.js";
import { $, nodes, panel, state } from "./chatstate.js";
import { markActiveSession, sessionListUpsert } from "./chatlist.js";
import { send } from "./chatsocket.js";
import { endReply, setTitle, showLoading, showWelcome } from "./chatview.js";

export function openSession(id) {
  if (id === state.sessionId) return;
  if (state.replying) endReply("interrupted");
  state.sessionId = id;
  showLoading();
  send({ type: "load_session", session_id: id });
  markActiveSession();
  nodes.input.focus();
}

export function newChat() {
  if (state.replying) endReply("interrupted");
  state.sessionId = null;
  history.replaceState(null, "", location.pathname);
  setTitle("");
  clear(nodes.messages);
  showWelcome();
  panel.setSessionFiles([]);
  markActiveSession();
  nodes.input.focus();
}

$("new-chat").addEventListener("click", newChat);

nodes.sessions.addEventListener("click", async (event) => {
  const item = event.target.closest(".session-item");
  if (!item) return;
  const id = item.dataset.sessionId;
  if (event.target.closest(".session-link")) {
    event.preventDefault();
    openSession(id);
    return;
  }
  const action = event.target.closest("[data-action]")?.dataset.action;
  if (action === "rename") await renameSession(id, item);
  if (action === "delete") await deleteSession(id, item);
});

async function renameSession(id, item) {
  const dialog = $("rename-dialog");
  const input = $("rename-input");
  input.value = item.querySelector(".session-link").dataset.title;
  setTimeout(() => input.select(), 0);
  if ((await ask(dialog)) !== "ok") return;
  try {
    const session = await api(`/api/chats/${id}`, { method: "PATCH", json: { title: input.value } });
    sessionListUpsert(id, session.title);
    if (id === state.sessionId) setTitle(session.title);
  } catch (error) {
    showBanner(`Could not rename the chat: ${error.message}`);
  }
}

async function deleteSession(id, item) {
  const summary = $("delete-summary");
  const keep = $("delete-keep-files");
  const keepLabel = keep.closest("label");
  keep.checked = false;
  summary.textContent = "Checking the files of this chat…";
  keepLabel.hidden = true;
  const dialog = $("delete-dialog");
  const answer = ask(dialog);
  try {
    const preview = await api(`/api/chats/${id}/delete-preview`);
    const count = preview.files_to_delete;
    summary.replaceChildren(
      count
        ? `This deletes the chat and moves ${count} of its files to the trash (restorable for ${preview.trash_days} days from the Files page):`
        : "This deletes the chat. No files go to the trash.",
    );
    summary.append(fateList(preview.details || []));
    keepLabel.hidden = count === 0;
  } catch (error) {
    summary.textContent = `This deletes the chat. (Could not count its files: ${error.message})`;
  }
  if ((await answer) !== "ok") return;
  try {
    await api(`/api/chats/${id}${keep.checked ? "?keep_files=true" : ""}`, { method: "DELETE" });
    item.remove();
    if (id === state.sessionId) newChat();
    panel.loadTagged();
  } catch (error) {
    showBanner(`Could not delete the chat: ${error.message}`);
  }
}

window.addEventListener("popstate", () => {
  const id = new URLSearchParams(location.search).get("session");
  if (id) openSession(id);
  else newChat();
});

const KEPT_BECAUSE = {
  tagged: "kept: tagged for every chat",
  made_elsewhere: "kept: only attached here",
  used_by_other_chat: "kept: another chat uses it",
  shared: "kept: shared with others",
};

/** Each of the chat's files and what deleting the chat does with it, and why. */
function fateList(details) {
  if (!details.length) return el("span", { className: "muted small", text: "The chat has no files." });
  return el(
    "ul",
    { className: "fate-list" },
    details.map((file) =>
      el(
        "li",
        { dataset: { fate: file.fate } },
        el("span", { className: `badge ${file.fate === "trash" ? "badge-broken" : "badge-tag"}`, text: file.fate === "trash" ? "to trash" : "stays" }),
        el("span", { text: file.filename }),
        file.reasons.length ? el("span", { className: "muted small", text: `(${file.reasons.map((r) => KEPT_BECAUSE[r] || r).join("; ")})` }) : null,
      ),
    ),
  );
}

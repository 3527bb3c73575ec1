// The chat composer: sending, refused messages put back, uploads, the "@" file picker,
// the "/" command menu with its tool forms, and the keys (Enter, up arrow, Esc).

import { api } from "./api.js";
import { clear, showBanner } from "./dom.js";
import { Counter, growWithText } from "./composer.js";
import { ComposerMenu } from "./picker.js";
import { buildToolForm, toolSummary } from "./toolform.js";
import { UploadList, acceptDrops } from "./uploads.js";
import { $, busy, config, nodes, outbox, panel, state } from "./chatstate.js";
import { send, setReplying } from "./chatsocket.js";

const uploads = new UploadList(nodes.uploads, $("upload-status"), {
  maxBytes: config.maxUploadBytes,
  deleteOnRemove: true,
  onDiscarded: () => panel.loadSessionFiles(),
  onUploaded: (stored, item) => {
    item.dataset.fileId = stored.id;
    if (state.sessionId) panel.loadSessionFiles();
  },
});

function attachedIds() {
  return Array.from(nodes.uploads.querySelectorAll("li[data-state=done][data-file-id]"), (li) => li.dataset.fileId);
}

const counter = new Counter(nodes.input, nodes.counter, config.maxMessageChars);
const autoGrow = growWithText(nodes.input);

/** Puts a message the server refused back into the composer (text and file chips). */
export function restoreRefused() {
  const pending = outbox.release();
  if (!pending) return;
  if (!nodes.input.value.trim()) nodes.input.value = pending.content;
  else nodes.input.value = `${pending.content}\n${nodes.input.value}`;
  nodes.uploads.append(...pending.chips);
  autoGrow();
  counter.update();
}

async function submit() {
  if (busy()) return;
  if (counter.over) {
    counter.update();
    showBanner("This message is over the length limit. Shorten it (or send the text as a file); nothing was sent.");
    nodes.input.focus();
    return;
  }
  if (uploads.inFlight.size) {
    $("upload-status").textContent = "Waiting for the uploads to finish…";
    await uploads.settled();
  }
  const fileIds = attachedIds();
  let content = nodes.input.value.trim();
  if (!content && !fileIds.length) return;
  if (!content) content = fileIds.length === 1 ? "Here is a file." : "Here are some files.";
  const sent = send({ type: "chat", session_id: state.sessionId, content, file_ids: fileIds });
  if (!sent) return;
  outbox.hold(nodes.input.value, fileIds, Array.from(nodes.uploads.children));
  state.waitingForReply = true;
  setReplying(true);
  nodes.input.value = "";
  autoGrow();
  counter.update();
  clear(nodes.uploads);
}

nodes.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});

// "@" picks a file by name, "#" a tag, "/" a command or tool (registered before the composer's
// own keys, so the menu takes Enter and the arrows while it is open).
const menu = new ComposerMenu(nodes.input, $("composer-menu"), {
  files: filesNamedOrMentioning,
  tags: async (q) => (await api(`/api/files/tags?q=${encodeURIComponent(q)}`)).results,
  commands: () => [{ name: "help", description: "The commands and tools" }, ...state.tools],
  pickFile: (file) => uploads.addExisting(file),
  pickCommand: (command) => {
    if (command.name === "help") {
      nodes.input.value = "/help";
      submit();
    } else openToolForm(command);
  },
});

/** Files whose name contains ``q``, then (from 3 characters) files whose text does. */
async function filesNamedOrMentioning(q) {
  const byName = api(`/api/files?page_size=8&q=${encodeURIComponent(q)}`).then((page) => page.results);
  const byText =
    q.length < 3
      ? Promise.resolve([])
      : api(`/api/search?page_size=5&q=${encodeURIComponent(q)}`)
          .then((page) => page.results)
          .catch(() => []); // name matches alone still help
  const [named, found] = await Promise.all([byName, byText]);
  const seen = new Set(named.map((file) => file.id));
  const mentioning = found
    .filter((hit) => !seen.has(hit.file_id) && seen.add(hit.file_id))
    .map((hit) => ({ id: hit.file_id, filename: hit.filename, snippet: hit.snippet }));
  return [...named, ...mentioning];
}

export async function loadTools() {
  try {
    state.tools = await api("/api/tools");
  } catch {
    state.tools = []; // the menu then offers /help only; /help names the tools
  }
  // a "/" typed before the list arrived gets its menu now, not at the next key
  if (nodes.input.value.startsWith("/")) menu.refresh();
}

let toolForm = null;
function openToolForm(tool) {
  const dialog = $("tool-dialog");
  const error = $("tool-error");
  error.hidden = true;
  $("tool-title").textContent = `/${tool.name}`;
  $("tool-description").textContent = toolSummary(tool);
  toolForm = { tool, form: buildToolForm($("tool-fields"), tool, { onError: (text) => Object.assign(error, { hidden: false, textContent: text }) }) };
  nodes.input.value = "";
  dialog.showModal();
}

$("tool-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!toolForm) return;
  const args = toolForm.form.values();
  $("tool-dialog").close("ok");
  nodes.input.value = `/${toolForm.tool.name} ${JSON.stringify(args)}`;
  submit();
});

nodes.input.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.isComposing) return; // the picker took the key
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    submit();
  } else if (event.key === "ArrowUp" && !nodes.input.value) {
    const last = nodes.messages.querySelectorAll(".msg-user .msg-body");
    if (!last.length) return;
    event.preventDefault();
    nodes.input.value = last[last.length - 1].textContent;
    autoGrow();
    counter.update();
  }
});

// Esc stops the reply being written (dialogs and menus handle their own Esc first).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.defaultPrevented || document.querySelector("dialog[open]")) return;
  if (!busy()) return;
  event.preventDefault();
  send({ type: "stop", session_id: state.sessionId });
});

nodes.stop.addEventListener("click", () => {
  send({ type: "stop", session_id: state.sessionId });
});

nodes.attach.addEventListener("change", () => {
  uploads.add(nodes.attach.files, { session: state.sessionId });
  nodes.attach.value = "";
});

nodes.input.addEventListener("paste", (event) => {
  const files = event.clipboardData?.files;
  if (files && files.length) {
    event.preventDefault();
    uploads.add(files, { session: state.sessionId });
  }
});

acceptDrops(document.querySelector(".conversation"), (files) => uploads.add(files, { session: state.sessionId }), nodes.composer);

// The chat page: sessions, the websocket conversation, uploads, the files panel.
// Protocol: chat/PROTOCOL.md. User text is rendered with textContent; the assistant's
// markdown goes through markdown.js (marked + DOMPurify).

import { api, friendly } from "./api.js";
import { ask, clear, el, hideBanner, readConfig, showBanner } from "./dom.js";
import { isRaster } from "./format.js";
import { icon } from "./icons.js";
import { Counter, Outbox, collapsible } from "./composer.js";
import { codeOf, renderMarkdownInto } from "./markdown.js";
import { initChatSearch } from "./chatsearch.js";
import { showCitations } from "./citations.js";
import { ComposerMenu } from "./picker.js";
import { buildToolForm } from "./toolform.js";
import { fileChips, statusNote, toolCard } from "./bubbles.js";
import { FilesPanel } from "./panel.js";
import { initZoom } from "./zoom.js";
import { UploadList, acceptDrops } from "./uploads.js";

const config = readConfig("chat-config");
const $ = (id) => document.getElementById(id);
const nodes = {
  sessions: $("session-list"),
  messages: $("messages"),
  title: $("chat-title"),
  conn: $("conn-state"),
  composer: $("composer"),
  input: $("message-input"),
  send: $("send-btn"),
  stop: $("stop-btn"),
  attach: $("attach-input"),
  uploads: $("uploads"),
  sessionFiles: $("session-files"),
  taggedFiles: $("tagged-files"),
  panel: $("files-panel"),
  panelToggle: $("toggle-files"),
  counter: $("composer-counter"),
};

const TITLE_FROM_MESSAGE = 60;
const state = {
  sessionId: new URLSearchParams(location.search).get("session"),
  socket: null,
  retries: 0,
  retryTimer: null,
  replying: null, // {messageId, text, bubble, body, cards: Map}
  waitingForReply: false,
};

// --- The websocket, reconnected with backoff -----------------------------------------

function setConnection(kind, text) {
  nodes.conn.dataset.state = kind;
  nodes.conn.textContent = text;
  updateComposer();
}

function connect() {
  clearTimeout(state.retryTimer);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/chat/`);
  state.socket = socket;
  setConnection("connecting", state.retries ? "Reconnecting…" : "Connecting…");
  socket.addEventListener("open", () => {
    state.retries = 0;
    setConnection("online", "Connected");
    hideBanner();
    if (state.sessionId) send({ type: "load_session", session_id: state.sessionId });
  });
  socket.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    handleFrame(frame);
  });
  socket.addEventListener("close", (event) => {
    if (state.socket !== socket) return;
    state.socket = null;
    if (state.replying || state.waitingForReply) endReply("interrupted");
    if (event.code === 4401) {
      setConnection("offline", "Signed out");
      showBanner("Your session has ended. Reload the page to sign in again.");
      return;
    }
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  const delay = Math.min(15000, 500 * 2 ** state.retries) + Math.random() * 300;
  state.retries += 1;
  const seconds = Math.max(1, Math.round(delay / 1000));
  setConnection("offline", `Connection lost, retrying in ${seconds}s…`);
  state.retryTimer = setTimeout(connect, delay);
}

function isOnline() {
  return Boolean(state.socket) && state.socket.readyState === state.socket.OPEN;
}

function send(frame) {
  if (!isOnline()) {
    showBanner("Not connected to the server. Your message was not sent; it will be possible again once reconnected.");
    return false;
  }
  state.socket.send(JSON.stringify(frame));
  return true;
}

window.addEventListener("online", () => {
  if (!isOnline()) connect();
});

// --- Frames from the server ---------------------------------------------------------

function handleFrame(frame) {
  if (frame.session_id && state.sessionId && frame.session_id !== state.sessionId && frame.type !== "session") {
    return; // a late frame of a chat we switched away from
  }
  const handlers = {
    session: onSession,
    message: (f) => appendMessage(f.message),
    token: onToken,
    tool_start: onToolStart,
    tool_complete: onToolComplete,
    files_update: (f) => setSessionFiles(f.files),
    response_complete: onResponseComplete,
    error: onError,
  };
  handlers[frame.type]?.(frame);
}

function onSession(frame) {
  state.sessionId = frame.id || frame.session_id;
  const url = new URL(location.href);
  url.searchParams.set("session", state.sessionId);
  history.replaceState(null, "", url);
  setTitle(frame.title);
  sessionListUpsert(state.sessionId, frame.title);
  markActiveSession();
  clear(nodes.messages);
  if (!frame.messages.length) showWelcome();
  frame.messages.forEach(appendMessage);
  setSessionFiles(frame.files);
  scrollToEnd(true);
}

function onToken(frame) {
  const reply = replyFor(frame.message_id);
  reply.text += frame.content;
  scheduleRender(reply);
}

function onToolStart(frame) {
  const reply = replyFor(frame.message_id);
  const card = toolCard({ name: frame.name, arguments: frame.arguments, running: true });
  reply.cards.set(frame.call_id, card);
  reply.tools.append(card);
  scrollToEnd();
}

function onToolComplete(frame) {
  const reply = replyFor(frame.message_id);
  const card = toolCard({
    name: frame.name,
    arguments: frame.arguments,
    result: frame.result,
    error: frame.error,
    files: frame.files || [],
  });
  const old = reply.cards.get(frame.call_id);
  if (old) old.replaceWith(card);
  else reply.tools.append(card);
  reply.cards.set(frame.call_id, card);
  scrollToEnd();
}

function onResponseComplete(frame) {
  const reply = replyFor(frame.message_id);
  reply.text = frame.content ?? reply.text;
  renderReply(reply);
  showCitations(reply.bubble, frame.citations);
  endReply(frame.status);
  sessionListTouch(state.sessionId);
  loadSessionFiles(); // files attached before the chat existed now belong to it
}

function onError(frame) {
  const words = errorWords(frame);
  const wasReplying = Boolean(state.replying || state.waitingForReply);
  if (wasReplying) endReply("error");
  restoreRefused();
  const notice = el("div", { className: "notice notice-error", role: "alert" }, words);
  nodes.messages.append(notice);
  scrollToEnd(true);
  if (frame.code === "not_found" && !wasReplying) {
    newChat(); // the chat in the URL is gone (deleted, or not this user's)
    showBanner("That chat no longer exists. Starting a new one.");
  }
}

function errorWords(frame) {
  if (frame.code === "busy") return "Please wait: the assistant is still answering the previous message.";
  if (frame.code === "llm_unavailable") return `The assistant is not answering right now. ${frame.message || ""}`.trim();
  if (frame.code === "internal_error") return "Something went wrong on the server. Your message was kept; please try again.";
  return frame.message || friendly(frame.code) || "Something went wrong.";
}

// --- Messages -----------------------------------------------------------------------

function showWelcome() {
  nodes.messages.append(
    el(
      "div",
      { className: "welcome", id: "welcome" },
      el("h2", { text: "How can I help?" }),
      el("p", { className: "muted" }, "Ask a question, drop files here, or type ", el("code", { text: "/help" }), " for the tools."),
    ),
  );
}

function appendMessage(message) {
  $("welcome")?.remove();
  if (message.role === "system") {
    nodes.messages.append(el("div", { className: "notice", dataset: { messageId: message.id } }, message.content));
    return;
  }
  if (message.role === "user") {
    outbox.accepted();
    const bubble = el(
      "article",
      { className: "msg msg-user", dataset: { messageId: message.id }, "aria-label": "You said" },
      collapsible(el("div", { className: "msg-body plain", text: message.content })),
    );
    if (message.files?.length) {
      const images = message.files.filter(isRaster);
      const others = message.files.filter((file) => !isRaster(file));
      if (images.length) bubble.append(fileChips(images, { previews: true })); // thumbnails
      if (others.length) bubble.append(fileChips(others));
    }
    nodes.messages.append(bubble);
    maybeTitleFrom(message.content);
    scrollToEnd(true);
    if (state.waitingForReply) replyFor(null);
    return;
  }
  if (message.role === "assistant") appendAssistant(message);
}

function appendAssistant(message) {
  const reply = assistantBubble(message.id);
  reply.text = message.content;
  const byId = new Map((message.files || []).map((file) => [file.id, file]));
  const shown = new Set();
  for (const call of message.tool_calls || []) {
    const files = (call.file_ids || []).map((id) => byId.get(id)).filter(Boolean);
    files.forEach((file) => shown.add(file.id));
    reply.tools.append(toolCard({ ...call, files }));
  }
  const rest = (message.files || []).filter((file) => !shown.has(file.id));
  if (rest.length) reply.bubble.append(fileChips(rest));
  renderReply(reply);
  showCitations(reply.bubble, message.citations);
  if (message.status && message.status !== "complete") reply.bubble.append(statusNote(message.status));
}

function assistantBubble(messageId) {
  const body = el("div", { className: "msg-body md" });
  const tools = el("div", { className: "tool-cards" });
  const bubble = el(
    "article",
    { className: "msg msg-assistant", dataset: { messageId: messageId || "" }, "aria-label": "Assistant said" },
    tools,
    body,
  );
  nodes.messages.append(bubble);
  return { messageId, text: "", bubble, body, tools, cards: new Map(), frame: 0 };
}

/** The reply being written (created on its first frame). */
function replyFor(messageId) {
  if (state.replying && (!state.replying.messageId || state.replying.messageId === messageId || !messageId)) {
    if (messageId && !state.replying.messageId) {
      state.replying.messageId = messageId;
      state.replying.bubble.dataset.messageId = messageId;
    }
    return state.replying;
  }
  $("welcome")?.remove();
  const reply = assistantBubble(messageId);
  reply.bubble.setAttribute("aria-busy", "true");
  reply.body.append(el("span", { className: "typing", "aria-label": "The assistant is writing" }, el("span"), el("span"), el("span")));
  state.replying = reply;
  setReplying(true);
  return reply;
}

function scheduleRender(reply) {
  if (reply.frame) return;
  reply.frame = requestAnimationFrame(() => {
    reply.frame = 0;
    renderReply(reply);
    scrollToEnd();
  });
}

function renderReply(reply) {
  if (reply.frame) cancelAnimationFrame(reply.frame);
  reply.frame = 0;
  reply.body.querySelector(".typing")?.remove();
  renderMarkdownInto(reply.body, reply.text);
}

function endReply(status) {
  const reply = state.replying;
  state.replying = null;
  state.waitingForReply = false;
  setReplying(false);
  if (!reply) return;
  reply.bubble.removeAttribute("aria-busy");
  if (!reply.text && !reply.tools.childElementCount && status !== "complete") reply.body.textContent = "";
  if (status !== "complete") reply.bubble.append(statusNote(status));
  scrollToEnd();
}

function maybeTitleFrom(content) {
  if (nodes.title.dataset.untitled !== "true") return;
  const title = content.split(/\s+/).join(" ").trim().slice(0, TITLE_FROM_MESSAGE);
  if (!title) return;
  setTitle(title);
  sessionListUpsert(state.sessionId, title);
}

function setTitle(title) {
  nodes.title.textContent = title || (state.sessionId ? "Untitled chat" : "New chat");
  nodes.title.dataset.untitled = title ? "false" : "true";
  document.title = `${title || "Chat"} · chatui`;
}

// Follow the conversation while the reader is at its end; stay put once they scroll up.
let pinned = true;
nodes.messages.addEventListener("scroll", () => {
  const box = nodes.messages;
  pinned = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
});

document.addEventListener("chat:media-loaded", () => scrollToEnd());

function scrollToEnd(force = false) {
  if (force) pinned = true;
  if (pinned) nodes.messages.scrollTop = nodes.messages.scrollHeight;
}

// --- The composer -------------------------------------------------------------------

const uploads = new UploadList(nodes.uploads, $("upload-status"), {
  maxBytes: config.maxUploadBytes,
  deleteOnRemove: true,
  onDiscarded: () => loadSessionFiles(),
  onUploaded: (stored, item) => {
    item.dataset.fileId = stored.id;
    if (state.sessionId) loadSessionFiles();
  },
});

function setReplying(on) {
  nodes.stop.hidden = !on;
  nodes.send.hidden = on;
  updateComposer();
}

function updateComposer() {
  nodes.send.disabled = !isOnline() || Boolean(state.replying || state.waitingForReply);
}

function attachedIds() {
  return Array.from(nodes.uploads.querySelectorAll("li[data-state=done][data-file-id]"), (li) => li.dataset.fileId);
}

const counter = new Counter(nodes.input, nodes.counter, config.maxMessageChars);
const outbox = new Outbox();

/** Puts a message the server refused back into the composer (text and file chips). */
function restoreRefused() {
  const pending = outbox.release();
  if (!pending) return;
  if (!nodes.input.value.trim()) nodes.input.value = pending.content;
  else nodes.input.value = `${pending.content}\n${nodes.input.value}`;
  nodes.uploads.append(...pending.chips);
  autoGrow();
  counter.update();
}

async function submit() {
  if (state.replying || state.waitingForReply) return;
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

// "@" picks a file by name, "/" a command or tool (registered before the composer's
// own keys, so the menu takes Enter and the arrows while it is open).
const menu = new ComposerMenu(nodes.input, $("composer-menu"), {
  files: filesNamedOrMentioning,
  tags: async (q) => (await api(`/api/files/tags?q=${encodeURIComponent(q)}`)).results,
  commands: () => [{ name: "help", description: "The commands and tools" }, ...(state.tools || [])],
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

async function loadTools() {
  try {
    state.tools = await api("/api/tools");
  } catch {
    state.tools = []; // the menu then offers /help only; /help names the tools
  }
}

let toolForm = null;
function openToolForm(tool) {
  const dialog = $("tool-dialog");
  const error = $("tool-error");
  error.hidden = true;
  $("tool-title").textContent = `/${tool.name}`;
  $("tool-description").textContent = tool.description;
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
  if (!state.replying && !state.waitingForReply) return;
  event.preventDefault();
  send({ type: "stop", session_id: state.sessionId });
});

function autoGrow() {
  nodes.input.style.height = "auto";
  nodes.input.style.height = `${Math.min(nodes.input.scrollHeight, 220)}px`;
}
nodes.input.addEventListener("input", autoGrow);

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

// --- Sessions -----------------------------------------------------------------------

function sessionItem(id, title) {
  const label = title || "Untitled chat";
  return el(
    "li",
    { className: "session-item", dataset: { sessionId: id } },
    el("a", { className: "session-link", href: `?session=${id}`, dataset: { title: title || "" }, text: label }),
    el(
      "span",
      { className: "session-actions" },
      el("button", { type: "button", className: "icon-btn", dataset: { action: "rename" }, "aria-label": `Rename ${label}`, title: "Rename" }, icon("pencil")),
      el("button", { type: "button", className: "icon-btn danger", dataset: { action: "delete" }, "aria-label": `Delete ${label}`, title: "Delete" }, icon("trash")),
    ),
  );
}

function sessionListUpsert(id, title) {
  if (!id) return;
  $("no-sessions")?.remove();
  const existing = nodes.sessions.querySelector(`[data-session-id="${CSS.escape(id)}"]`);
  const item = sessionItem(id, title ?? existing?.querySelector(".session-link").dataset.title);
  if (existing) existing.replaceWith(item);
  else nodes.sessions.prepend(item);
  markActiveSession();
}

function sessionListTouch(id) {
  const item = id && nodes.sessions.querySelector(`[data-session-id="${CSS.escape(id)}"]`);
  if (item && item !== nodes.sessions.firstElementChild) nodes.sessions.prepend(item);
}

function markActiveSession() {
  for (const item of nodes.sessions.querySelectorAll(".session-item")) {
    const link = item.querySelector(".session-link");
    if (item.dataset.sessionId === state.sessionId) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function openSession(id) {
  if (id === state.sessionId) return;
  if (state.replying) endReply("interrupted");
  state.sessionId = id;
  clear(nodes.messages);
  nodes.messages.append(el("p", { className: "muted loading", text: "Loading the conversation…" }));
  send({ type: "load_session", session_id: id });
  markActiveSession();
  nodes.input.focus();
}

function newChat() {
  if (state.replying) endReply("interrupted");
  state.sessionId = null;
  history.replaceState(null, "", location.pathname);
  setTitle("");
  clear(nodes.messages);
  showWelcome();
  setSessionFiles([]);
  markActiveSession();
  nodes.input.focus();
}

$("new-chat").addEventListener("click", newChat);
initZoom(nodes.messages);
initChatSearch({ input: $("chat-search"), results: $("search-results"), list: nodes.sessions, open: openSession });

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
        ? `This deletes the chat and ${count} file${count === 1 ? "" : "s"} uploaded or generated in it:`
        : "This deletes the chat. No files will be deleted.",
    );
    if (count) summary.append(el("ul", { className: "doomed-files" }, preview.files.map((name) => el("li", { text: name }))));
    if (preview.kept_files?.length) {
      summary.append(el("span", { className: "muted small", text: `Kept (tagged, or made elsewhere): ${preview.kept_files.join(", ")}.` }));
    }
    keepLabel.hidden = count === 0;
  } catch (error) {
    summary.textContent = `This deletes the chat. (Could not count its files: ${error.message})`;
  }
  if ((await answer) !== "ok") return;
  try {
    await api(`/api/chats/${id}${keep.checked ? "?keep_files=true" : ""}`, { method: "DELETE" });
    item.remove();
    if (id === state.sessionId) newChat();
    loadTagged();
  } catch (error) {
    showBanner(`Could not delete the chat: ${error.message}`);
  }
}

window.addEventListener("popstate", () => {
  const id = new URLSearchParams(location.search).get("session");
  if (id) openSession(id);
  else newChat();
});

// --- The files panel (panel.js) and code copy buttons ----------------------------------

const panel = new FilesPanel(
  { sessionFiles: nodes.sessionFiles, taggedFiles: nodes.taggedFiles, panel: nodes.panel, toggle: nodes.panelToggle },
  () => state.sessionId,
);
const setSessionFiles = (files) => panel.setSessionFiles(files);
const loadSessionFiles = () => panel.loadSessionFiles();
const loadTagged = () => panel.loadTagged();

nodes.messages.addEventListener("click", async (event) => {
  const button = event.target.closest(".code-copy");
  if (!button) return;
  try {
    await navigator.clipboard.writeText(codeOf(button));
    button.textContent = "Copied";
  } catch {
    button.textContent = "Copy failed";
  }
  setTimeout(() => (button.textContent = "Copy"), 1500);
});

// --- Start --------------------------------------------------------------------------

setTitle("");
markActiveSession();
if (state.sessionId) {
  clear(nodes.messages);
  nodes.messages.append(el("p", { className: "muted loading", text: "Loading the conversation…" }));
}
connect();
loadTagged();
loadTools();

// The conversation: user and assistant bubbles, the reply being streamed, the title and
// scrolling. User text is rendered with textContent; the assistant's markdown goes
// through markdown.js (marked + DOMPurify).

import { el } from "./dom.js";
import { isRaster } from "./format.js";
import { collapsible } from "./composer.js";
import { codeOf, renderMarkdownInto } from "./markdown.js";
import { fileChips, statusNote, toolCard } from "./bubbles.js";
import { showCitations } from "./citations.js";
import { $, nodes, outbox, state } from "./chatstate.js";
import { sessionListUpsert } from "./chatlist.js";
import { setReplying } from "./chatsocket.js";
import { messageActions } from "./chatactions.js";

const TITLE_FROM_MESSAGE = 60;

export function showWelcome() {
  nodes.messages.append(
    el(
      "div",
      { className: "welcome", id: "welcome" },
      el("h2", { text: "How can I help?" }),
      el("p", { className: "muted" }, "Ask a question, drop files here, or type ", el("code", { text: "/help" }), " for the tools."),
    ),
  );
}

export function showLoading() {
  nodes.messages.replaceChildren(el("p", { className: "muted loading", text: "Loading the conversation…" }));
}

export function appendMessage(message) {
  $("welcome")?.remove();
  if (message.role === "system") {
    nodes.messages.append(el("div", { className: "notice", dataset: { messageId: message.id } }, message.content));
    return;
  }
  if (message.role === "user") {
    outbox.accepted();
    // The coloured bubble holds the words and files; the actions sit under it, outside.
    const inner = el("div", { className: "msg-bubble" }, collapsible(el("div", { className: "msg-body plain", text: message.content })));
    if (message.files?.length) {
      const images = message.files.filter(isRaster);
      const others = message.files.filter((file) => !isRaster(file));
      if (images.length) inner.append(fileChips(images, { previews: true })); // thumbnails
      if (others.length) inner.append(fileChips(others));
    }
    const bubble = el(
      "article",
      { className: "msg msg-user", dataset: { messageId: message.id, source: message.content }, "aria-label": "You said" },
      inner,
      messageActions(message),
    );
    nodes.messages.append(bubble);
    maybeTitleFrom(message.content);
    scrollToEnd(true);
    if (state.waitingForReply && !bulk) replyFor(null);
    return;
  }
  if (message.role === "assistant") appendAssistant(message);
}

/** A chat's whole history, replacing what is shown (a ``session`` frame). A reply
 * still being written (status ``streaming``) becomes the one this page streams into. */
let bulk = false;
export function showHistory(messages) {
  state.replying = null; // its bubble is replaced below
  replies.clear();
  nodes.messages.replaceChildren();
  if (!messages.length) showWelcome();
  bulk = true;
  try {
    messages.forEach(appendMessage);
  } finally {
    bulk = false;
  }
  if (!state.replying && state.waitingForReply && messages.at(-1)?.role === "user") replyFor(null);
  if (!state.replying && !state.waitingForReply) setReplying(false);
}

const replies = new Map(); // message id -> the reply object of an assistant bubble

function appendAssistant(message) {
  const reply = assistantBubble(message.id);
  reply.message = message;
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
  if (message.status === "streaming") {
    replyFor(message.id); // being written: this page follows it
    if (reply.text) renderReply(reply);
    return;
  }
  renderReply(reply);
  showCitations(reply.bubble, message.citations);
  finishBubble(reply, message.status);
  reply.saved = true; // shown as the chat saved it, after it ended
}

const FOLD_LINES = 24;

/** Folds the long code blocks of a finished reply behind "Show all n lines". */
function foldLongCode(body) {
  for (const block of body.querySelectorAll(".code-block:not([data-fold])")) {
    const lines = (block.querySelector("pre code")?.textContent || "").split("\n").length;
    block.dataset.fold = lines > FOLD_LINES ? "yes" : "no";
    if (lines <= FOLD_LINES) continue;
    block.classList.add("folded");
    const label = `Show all ${lines} lines`;
    const toggle = el("button", { type: "button", className: "btn btn-ghost btn-small code-fold", "aria-expanded": "false", text: label });
    toggle.addEventListener("click", () => {
      const folded = block.classList.toggle("folded");
      toggle.textContent = folded ? label : "Show less";
      toggle.setAttribute("aria-expanded", String(!folded));
    });
    block.querySelector(".code-bar")?.insertBefore(toggle, block.querySelector(".code-copy"));
  }
}

/** The status note and the action bar of a reply that ended. */
function finishBubble(reply, status) {
  foldLongCode(reply.body);
  reply.bubble.querySelector(":scope > .msg-status")?.remove();
  reply.bubble.querySelector(":scope > .msg-actions")?.remove();
  if (status && status !== "complete") reply.bubble.append(statusNote(status));
  reply.bubble.dataset.source = reply.text;
  const message = { ...(reply.message || {}), id: reply.messageId, role: "assistant", status };
  if (reply.messageId) reply.bubble.append(messageActions(message));
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
  const reply = { messageId, text: "", bubble, body, tools, cards: new Map(), frame: 0 };
  if (messageId) replies.set(messageId, reply);
  return reply;
}

/** The reply being written: the one shown (a continued or reloaded answer), or a new
 * bubble on its first frame. */
export function replyFor(messageId) {
  if (state.replying && (!state.replying.messageId || state.replying.messageId === messageId || !messageId)) {
    if (messageId && !state.replying.messageId) {
      state.replying.messageId = messageId;
      state.replying.bubble.dataset.messageId = messageId;
      replies.set(messageId, state.replying);
    }
    return state.replying;
  }
  $("welcome")?.remove();
  const reply = replies.get(messageId) || assistantBubble(messageId);
  reply.bubble.querySelector(":scope > .msg-status")?.remove();
  reply.bubble.querySelector(":scope > .msg-actions")?.remove();
  reply.bubble.setAttribute("aria-busy", "true");
  reply.saved = false;
  if (!reply.text) reply.body.replaceChildren(el("span", { className: "typing", "aria-label": "The assistant is writing" }, el("span"), el("span"), el("span")));
  state.replying = reply;
  state.waitingForReply = false;
  setReplying(true);
  return reply;
}

/** Whether the answer ``messageId`` is shown as saved after it ended (read with the
 * chat), so no frame of its reply can add to it: a tab that reads the chat as the
 * reply ends may still be sent the reply's last frames after that read. */
export function answerShownSaved(messageId) {
  return Boolean(messageId && replies.get(messageId)?.saved);
}

export function scheduleRender(reply) {
  if (reply.frame) return;
  reply.frame = requestAnimationFrame(() => {
    reply.frame = 0;
    renderReply(reply);
    scrollToEnd();
  });
}

export function renderReply(reply) {
  if (reply.frame) cancelAnimationFrame(reply.frame);
  reply.frame = 0;
  reply.body.querySelector(".typing")?.remove();
  renderMarkdownInto(reply.body, reply.text);
}

export function endReply(status) {
  const reply = state.replying;
  state.replying = null;
  state.waitingForReply = false;
  setReplying(false);
  if (!reply) return;
  reply.bubble.removeAttribute("aria-busy");
  if (!reply.text && !reply.tools.childElementCount && status !== "complete") reply.body.textContent = "";
  finishBubble(reply, status);
  scrollToEnd();
}

function maybeTitleFrom(content) {
  if (nodes.title.dataset.untitled !== "true") return;
  const title = content.split(/\s+/).join(" ").trim().slice(0, TITLE_FROM_MESSAGE);
  if (!title) return;
  setTitle(title);
  sessionListUpsert(state.sessionId, title);
}

export function setTitle(title) {
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

export function scrollToEnd(force = false) {
  if (force) pinned = true;
  if (pinned) nodes.messages.scrollTop = nodes.messages.scrollHeight;
}

// Copy buttons on code blocks.
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

// Frames from the server (protocol: chat/PROTOCOL.md) applied to the page.

import { friendly } from "./api.js";
import { el, showBanner } from "./dom.js";
import { toolCard } from "./bubbles.js";
import { showCitations } from "./citations.js";
import { busy, nodes, panel, state } from "./chatstate.js";
import { markActiveSession, sessionListTouch, sessionListUpsert } from "./chatlist.js";
import { restoreRefused } from "./chatcomposer.js";
import { send } from "./chatsocket.js";
import { newChat } from "./chatsessions.js";
import { answerShownSaved, appendMessage, endReply, renderReply, replyFor, scheduleRender, scrollToEnd, setTitle, showHistory } from "./chatview.js";

// The frames of a reply as it is written; late ones, for an answer already shown whole
// (the chat was read as the reply ended), would add its text and tools a second time.
const REPLY_FRAMES = new Set(["token", "tool_start", "tool_complete", "response_complete"]);

export function handleFrame(frame) {
  if (frame.session_id && state.sessionId && frame.session_id !== state.sessionId && frame.type !== "session") {
    return; // a late frame of a chat we switched away from
  }
  const handlers = {
    session: onSession,
    message: (f) => appendMessage(f.message),
    token: onToken,
    tool_start: onToolStart,
    tool_complete: onToolComplete,
    files_update: (f) => panel.setSessionFiles(f.files),
    response_complete: onResponseComplete,
    reply_state: onReplyState,
    error: onError,
  };
  if (REPLY_FRAMES.has(frame.type) && answerShownSaved(frame.message_id)) return; // would double it
  handlers[frame.type]?.(frame);
  watchQuiet();
}

// A reply that goes quiet for longer than a dead process keeps its chat's lock (30 s)
// is asked about again: the reload shows it streaming (and catches up) or interrupted.
const QUIET_MS = 45_000;
let quietTimer = 0;
function watchQuiet() {
  clearTimeout(quietTimer);
  if (!busy()) return;
  quietTimer = setTimeout(() => {
    if (busy() && state.sessionId) send({ type: "load_session", session_id: state.sessionId });
    watchQuiet();
  }, QUIET_MS);
}

/** The socket dropped. The reply goes on at the server; the reconnect reloads the
 * chat and follows it again. */
export function connectionLost() {
  if (busy()) endReply("disconnected");
}

function onSession(frame) {
  state.sessionId = frame.id || frame.session_id;
  const url = new URL(location.href);
  url.searchParams.set("session", state.sessionId);
  history.replaceState(null, "", url);
  setTitle(frame.title);
  sessionListUpsert(state.sessionId, frame.title);
  markActiveSession();
  showHistory(frame.messages);
  panel.setSessionFiles(frame.files);
  scrollToEnd(true);
}

/** A reply already running when this page opened the chat: its text and tools so far. */
function onReplyState(frame) {
  const reply = replyFor(frame.message_id);
  reply.text = frame.content;
  for (const tool of frame.tools || []) (tool.type === "tool_start" ? onToolStart : onToolComplete)(tool);
  renderReply(reply);
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
  panel.loadSessionFiles(); // files attached before the chat existed now belong to it
}

function onError(frame) {
  const words = errorWords(frame);
  const wasReplying = busy();
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

// Shared state of the chat page: its DOM nodes, the open chat and the reply being written.
// The other chat*.js modules read and change this one object.

import { Outbox } from "./composer.js";
import { readConfig } from "./dom.js";
import { FilesPanel } from "./panel.js";

export const config = readConfig("chat-config");
export const $ = (id) => document.getElementById(id);
export const nodes = {
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

export const state = {
  sessionId: new URLSearchParams(location.search).get("session"),
  socket: null,
  retries: 0,
  retryTimer: null,
  replying: null, // {messageId, text, bubble, body, cards: Map}
  waitingForReply: false,
  tools: [],
};

/** True while a reply is asked for or being written. */
export function busy() {
  return Boolean(state.replying || state.waitingForReply);
}

// The files panel (panel.js), shared by the frames, the composer and the session list.
export const panel = new FilesPanel(
  { sessionFiles: nodes.sessionFiles, taggedFiles: nodes.taggedFiles, panel: nodes.panel, toggle: nodes.panelToggle },
  () => state.sessionId,
);

/** The message the server may still refuse, put back in the composer if it does. */
export const outbox = new Outbox();

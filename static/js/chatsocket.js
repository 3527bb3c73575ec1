// The chat websocket, reconnected with backoff. Frames go to the handler given to connect().

import { hideBanner, showBanner } from "./dom.js";
import { busy, nodes, state } from "./chatstate.js";

let handlers = { frame: () => {}, lost: () => {} };

function setConnection(kind, text) {
  nodes.conn.dataset.state = kind;
  nodes.conn.textContent = text;
  updateComposer();
}

/** Opens the socket; ``frame(f)`` gets each frame, ``lost()`` runs when it drops. */
export function connect(given = handlers) {
  handlers = given;
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
    handlers.frame(frame);
  });
  socket.addEventListener("close", (event) => {
    if (state.socket !== socket) return;
    state.socket = null;
    handlers.lost();
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
  state.retryTimer = setTimeout(() => connect(), delay);
}

export function isOnline() {
  return Boolean(state.socket) && state.socket.readyState === state.socket.OPEN;
}

export function send(frame) {
  if (!isOnline()) {
    showBanner("Not connected to the server. Your message was not sent; it will be possible again once reconnected.");
    return false;
  }
  state.socket.send(JSON.stringify(frame));
  return true;
}

/** Stop replaces Send while a reply is asked for or being written. */
export function setReplying(on) {
  nodes.stop.hidden = !on;
  nodes.send.hidden = on;
  updateComposer();
}

/** Send is possible while connected and no reply is being written. */
export function updateComposer() {
  nodes.send.disabled = !isOnline() || busy();
}

window.addEventListener("online", () => {
  if (!isOnline()) connect();
});

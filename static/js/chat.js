// The chat page, wired from its parts:
//   chatstate.js     nodes, the open chat, the reply being written, the files panel
//   chatsocket.js    the websocket and its reconnects
//   chatframes.js    frames from the server (chat/PROTOCOL.md) applied to the page
//   chatview.js      the bubbles, the streamed reply, the title, scrolling
//   chatcomposer.js  sending, uploads, "@" and "/" menus, tool forms, keys
//   chatsessions.js  opening, starting, renaming and deleting chats; chatlist.js the list

import { initChatSearch } from "./chatsearch.js";
import { initZoom } from "./zoom.js";
import { $, nodes, panel, state } from "./chatstate.js";
import { markActiveSession } from "./chatlist.js";
import { connect } from "./chatsocket.js";
import { connectionLost, handleFrame } from "./chatframes.js";
import { loadTools } from "./chatcomposer.js";
import { openSession } from "./chatsessions.js";
import { setTitle, showLoading } from "./chatview.js";

initZoom(nodes.messages);
initChatSearch({ input: $("chat-search"), results: $("search-results"), list: nodes.sessions, open: openSession });

setTitle("");
markActiveSession();
if (state.sessionId) showLoading();
connect({ frame: handleFrame, lost: connectionLost });
panel.loadTagged();
loadTools();

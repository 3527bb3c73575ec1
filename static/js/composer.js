// The composer's small behaviours: growing with its text, the character counter near the
// limit, keeping the text of a message the server refused, and collapsing long messages
// behind "Show more".

import { el } from "./dom.js";

const COUNTER_FROM = 0.8; // show the counter once the text passes 80 % of the limit
const COLLAPSE_CHARS = 1200;
const COLLAPSE_LINES = 14;
const GROW_SHARE = 0.4; // the composer grows with its text up to this share of the window

/**
 * Makes ``input`` as tall as its text, up to 40 % of the window's height (then it
 * scrolls); returns the function to call after setting its value from code.
 */
export function growWithText(input) {
  const grow = () => {
    input.style.height = "auto"; // measure the text, not the height set last time
    const border = input.offsetHeight - input.clientHeight;
    const wanted = input.scrollHeight + border;
    const most = Math.floor(window.innerHeight * GROW_SHARE);
    input.style.height = `${Math.min(wanted, most)}px`;
    input.style.overflowY = wanted > most ? "auto" : "hidden";
  };
  input.addEventListener("input", grow);
  window.addEventListener("resize", grow);
  return grow;
}

/** Shows "n / limit" under the composer once the text nears the limit; says if it is over. */
export class Counter {
  constructor(input, node, limit) {
    this.input = input;
    this.node = node;
    this.limit = limit;
    input.addEventListener("input", () => this.update());
  }

  get over() {
    return Boolean(this.limit) && this.input.value.length > this.limit;
  }

  update() {
    const length = this.input.value.length;
    const show = this.limit && length >= this.limit * COUNTER_FROM;
    this.node.hidden = !show;
    if (!show) return;
    const fmt = (n) => n.toLocaleString("en-US");
    this.node.dataset.over = String(this.over);
    this.node.textContent = this.over
      ? `${fmt(length)} / ${fmt(this.limit)}: ${fmt(length - this.limit)} characters over the limit`
      : `${fmt(length)} / ${fmt(this.limit)}`;
  }
}

/**
 * Remembers what was sent until the server accepts it (echoes the user message), so an
 * error puts the text and files back instead of losing them.
 */
export class Outbox {
  constructor() {
    this.pending = null;
  }

  hold(content, fileIds, chips) {
    this.pending = { content, fileIds, chips };
  }

  accepted() {
    this.pending = null;
  }

  /** The held message, once: restore it into the composer after a refusal. */
  release() {
    const pending = this.pending;
    this.pending = null;
    return pending;
  }
}

/** Wraps a long user message so it shows a few lines and a "Show more" toggle. */
export function collapsible(body) {
  const text = body.textContent || "";
  if (text.length <= COLLAPSE_CHARS && text.split("\n").length <= COLLAPSE_LINES) return body;
  body.classList.add("collapsed");
  const toggle = el("button", { type: "button", className: "btn btn-ghost btn-small show-more", "aria-expanded": "false", text: "Show more" });
  toggle.addEventListener("click", () => {
    const open = body.classList.toggle("collapsed") === false;
    toggle.textContent = open ? "Show less" : "Show more";
    toggle.setAttribute("aria-expanded", String(open));
  });
  return el("div", { className: "collapsible" }, body, toggle);
}

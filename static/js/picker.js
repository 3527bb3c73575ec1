// The composer's pop-up menu: "@" lists the user's files by name (to attach one),
// "#" the tags on the files they may read, theirs and those shared with them, each
// shared one marked with its owners (a #tag brings the files carrying it into the message),
// "/" at the start lists the commands and tools. Arrow keys move, Enter or Tab picks,
// Esc closes; the listbox follows the ARIA combobox pattern on the textarea. Its options
// sit under group headings ("Commands", "Tools", "Files"...), and a footer under the list
// names the keys (the screen reader hears them from the composer's description).

import { el, clear } from "./dom.js";
import { formatSize, isRaster } from "./format.js";
import { icon } from "./icons.js";
import { toolSummary } from "./toolform.js";

const FILE_TOKEN = /(^|\s)@([^\s@]*)$/;
const TAG_TOKEN = /(^|\s)#([\w.-]*)$/;
const COMMAND_TOKEN = /^\/(\S*)$/;
const SEARCH_DELAY_MS = 120;

export class ComposerMenu {
  /**
   * @param input     the composer's textarea
   * @param list      an empty <ul> inside the frame shown above the composer (its
   *                  ``.composer-menu`` parent, which also holds the keys' footer)
   * @param sources   { files(q): Promise<file[]>, tags(q): Promise<{name, files, shared_by}[]>, commands(): command[], pickFile(file), pickCommand(command) }
   */
  constructor(input, list, sources) {
    this.input = input;
    this.list = list;
    this.frame = list.closest(".composer-menu") || list;
    this.sources = sources;
    this.items = [];
    this.active = -1;
    this.mode = null;
    this.timer = 0;
    this.seq = 0;
    list.setAttribute("role", "listbox");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.addEventListener("input", () => this.refresh());
    input.addEventListener("keydown", (event) => this.onKey(event));
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    list.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.pick(Number(option.dataset.index));
    });
  }

  get open() {
    return !this.frame.hidden;
  }

  /** The @word or /word being typed at the caret, if any. */
  token() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const command = this.input.value.match(COMMAND_TOKEN);
    if (command && before.length === this.input.value.length) return { mode: "command", query: command[1] };
    const file = before.match(FILE_TOKEN);
    if (file) return { mode: "file", query: file[2], start: before.length - file[2].length - 1 };
    const tag = before.match(TAG_TOKEN);
    if (tag && this.sources.tags) return { mode: "tag", query: tag[2], start: before.length - tag[2].length - 1 };
    return null;
  }

  refresh() {
    const token = this.token();
    clearTimeout(this.timer);
    if (!token) return this.close();
    this.mode = token.mode;
    this.tokenAt = token;
    if (token.mode === "command") {
      const q = token.query.toLowerCase();
      this.show(this.sources.commands().filter((c) => c.name.toLowerCase().includes(q)));
      return;
    }
    const seq = ++this.seq;
    const lookup = token.mode === "tag" ? this.sources.tags : this.sources.files;
    this.timer = setTimeout(async () => {
      const items = await lookup(token.query).catch(() => []);
      if (seq === this.seq && this.token()) this.show(items);
    }, SEARCH_DELAY_MS);
  }

  show(items) {
    const groups = this.groups(items).filter(([, members]) => members.length);
    this.items = groups.flatMap(([, members]) => members);
    this.active = this.items.length ? 0 : -1;
    clear(this.list);
    if (!items.length) {
      const empty = { file: "No file has that name.", tag: "No file you can read has a tag like that.", command: "No such command." };
      this.list.append(el("li", { className: "menu-empty muted", text: empty[this.mode] }));
    }
    let index = 0;
    groups.forEach(([heading, members], number) => {
      const headingId = `${this.list.id}-group-${number}`;
      const options = members.map((item) => this.option(item, index++));
      this.list.append(
        el(
          "li",
          { role: "group", className: "menu-group", "aria-labelledby": headingId },
          el("div", { id: headingId, role: "presentation", className: "menu-heading", text: heading }),
          el("ul", { role: "none", className: "menu-group-list" }, options),
        ),
      );
    });
    this.frame.hidden = false;
    this.list.dataset.mode = this.mode;
    this.input.setAttribute("aria-expanded", "true");
    this.mark();
  }

  /** [heading, items] pairs in the order shown: /help apart from the tools, files found
   * by name apart from those whose text mentions the word. */
  groups(items) {
    if (this.mode === "tag") return [["Tags", items]];
    if (this.mode === "command") return [["Commands", items.filter((c) => c.name === "help")], ["Tools", items.filter((c) => c.name !== "help")]];
    return [["Files", items.filter((f) => !f.snippet)], ["Mentioned in their text", items.filter((f) => f.snippet)]];
  }

  option(item, index) {
    const id = `${this.list.id}-${index}`;
    const main = this.mode === "file" ? item.filename : this.mode === "tag" ? `#${item.name}` : `/${item.name}`;
    // A tool's description is written for the model: its first sentence is shown (on two
    // lines at most), the whole of it is the option's tooltip.
    const detail = this.mode === "tag" ? tagDetail(item) : this.mode !== "file" ? toolSummary(item) : item.snippet ? `in its text: “${item.snippet}”` : `${formatSize(item.size)} · ${item.category || ""}`;
    const title = this.mode === "command" && item.description !== detail ? item.description : null;
    return el(
      "li",
      { id, role: "option", className: "menu-option", title, dataset: { index } },
      el("span", { className: "menu-icon" }, icon(this.iconFor(item))),
      el("span", { className: "menu-text" }, el("span", { className: "menu-main", text: main }), el("span", { className: "menu-detail muted", text: detail || "" })),
    );
  }

  iconFor(item) {
    if (this.mode === "file") return isRaster(item) ? "image" : item.category === "data" ? "table" : "file";
    if (this.mode === "tag") return item.shared_by?.length ? "share" : "tag";
    if (item.name === "help") return "help";
    return /plot|chart/.test(item.name) ? "chart" : /csv|table|sheet/.test(item.name) ? "table" : "bolt";
  }

  mark() {
    const options = this.list.querySelectorAll("[role=option]");
    options.forEach((node, index) => node.setAttribute("aria-selected", String(index === this.active)));
    const current = options[this.active];
    if (current) {
      this.input.setAttribute("aria-activedescendant", current.id);
      current.scrollIntoView({ block: "nearest" });
    } else this.input.removeAttribute("aria-activedescendant");
  }

  onKey(event) {
    if (!this.open || event.isComposing) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves && this.items.length) {
      event.preventDefault();
      this.active = (this.active + moves[event.key] + this.items.length) % this.items.length;
      this.mark();
    } else if ((event.key === "Enter" || event.key === "Tab") && this.active >= 0) {
      event.preventDefault();
      this.pick(this.active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      this.close();
    }
  }

  pick(index) {
    const item = this.items[index];
    const token = this.tokenAt;
    this.close();
    if (!item) return;
    if (this.mode === "file" || this.mode === "tag") {
      const value = this.input.value;
      const end = token.start + 1 + token.query.length;
      const inserted = this.mode === "file" ? `@${item.filename} ` : `#${item.name} `;
      this.input.value = value.slice(0, token.start) + inserted + value.slice(end);
      const caret = token.start + inserted.length;
      this.input.setSelectionRange(caret, caret);
      if (this.mode === "file") this.sources.pickFile(item);
      this.input.dispatchEvent(new Event("input"));
    } else {
      this.sources.pickCommand(item);
    }
  }

  close() {
    clearTimeout(this.timer);
    this.seq += 1;
    this.frame.hidden = true;
    this.items = [];
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }
}

/** "3 files", or "3 files · shared by ann@example.com" when others' files carry the tag. */
function tagDetail(tag) {
  const count = `${tag.files} file${tag.files === 1 ? "" : "s"}`;
  const owners = tag.shared_by || [];
  return owners.length ? `${count} · shared by ${owners.join(", ")}` : count;
}

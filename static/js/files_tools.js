// The "Run a tool" dialog of the Files page: lists the tools that read the file, builds
// the tool's form (toolform.js) and shows the output and any files the tool made.

import { api } from "./api.js";
import { clear, el } from "./dom.js";
import { formatSize } from "./format.js";
import { buildToolForm, toolSummary } from "./toolform.js";

const $ = (id) => document.getElementById(id);
const state = { tools: null, onFilesMade: () => {} };

/** Wire the dialog once; ``onFilesMade`` runs after a tool made files (to reload the list). */
export function initToolDialog({ onFilesMade }) {
  state.onFilesMade = onFilesMade;
  $("tool-select").addEventListener("change", describeTool);
  $("tool-form").addEventListener("submit", runTool);
}

async function tools() {
  if (!state.tools) state.tools = await api("/api/tools");
  return state.tools;
}

/** Whether ``tool`` reads ``file`` (its file parameters' "x-accept" extensions). */
function accepts(tool, file) {
  const properties = Object.values(tool.parameters?.properties || {});
  const extensions = properties.flatMap((spec) => spec["x-accept"] || []);
  const name = file.filename.toLowerCase();
  return !extensions.length || extensions.some((ext) => name.endsWith(ext));
}

let toolFile = null;
let toolForm = null;

export async function openToolDialog(file) {
  toolFile = file;
  const dialog = $("tool-dialog");
  const select = $("tool-select");
  $("tool-title").textContent = `Run a tool on ${file.filename}`;
  clear($("tool-result"));
  dialog.showModal();
  try {
    const list = (await tools()).filter((tool) => accepts(tool, file));
    clear(select).append(...list.map((tool) => el("option", { value: tool.name, text: tool.name })));
    const suggested = list.find((tool) => suggests(tool.name, file)) || list[0];
    if (suggested) select.value = suggested.name;
    describeTool();
  } catch (error) {
    $("tool-result").append(el("p", { className: "error", role: "alert", text: `Could not list the tools: ${error.message}` }));
  }
}

function suggests(name, file) {
  if (file.category === "image") return name === "image_info";
  if (/\.csv$/i.test(file.filename)) return name === "csv_summary";
  return name === "text_search";
}

function describeTool() {
  const tool = (state.tools || []).find((t) => t.name === $("tool-select").value);
  $("tool-description").textContent = toolSummary(tool);
  if (!tool) return;
  const onError = (text) => $("tool-result").replaceChildren(el("p", { className: "error", role: "alert", text }));
  toolForm = buildToolForm($("tool-fields"), tool, { preselect: toolFile.id, onError });
}

async function runTool(event) {
  event.preventDefault();
  const result = clear($("tool-result"));
  if (!toolForm) return;
  const args = toolForm.values();
  const run = $("tool-run");
  run.disabled = true;
  result.append(el("p", { className: "muted", text: "Running…" }));
  try {
    const outcome = await api(`/api/tools/${encodeURIComponent($("tool-select").value)}/run`, { method: "POST", json: args });
    clear(result).append(el("pre", { className: "tool-output", text: outcome.text }));
    if (outcome.files.length) {
      result.append(
        el("h3", { text: "Generated files" }),
        el(
          "ul",
          { className: "chips" },
          outcome.files.map((f) =>
            el("li", {}, el("span", { className: "file-chip" }, el("a", { href: f.download_url, download: "", text: f.filename }), el("span", { className: "muted", text: formatSize(f.size) }))),
          ),
        ),
      );
      state.onFilesMade();
    }
  } catch (error) {
    clear(result).append(el("p", { className: "error", role: "alert", text: error.message }));
  } finally {
    run.disabled = false;
  }
}


// A form generated from a tool's JSON schema (GET /api/tools), shared by the chat's
// "/" menu and the Files page. File parameters offer only the files the tool reads
// (GET /api/tools/{name}/files); parameters marked "x-column" offer the chosen CSV's
// columns (GET /api/tools/{name}/columns?file=). Nothing here builds HTML from text.

import { api } from "./api.js";
import { clear, el } from "./dom.js";

const SKIPPED = new Set(["filename"]); // the form names files by id; filename is for typing

function fieldId(tool, name) {
  return `tool-${tool.name}-${name}`;
}

function isMulti(spec) {
  return spec.type === "array" || (spec.anyOf || []).some((s) => s.type === "array");
}

/** A person's words for a parameter: the schema's ``title``, else its name made readable
 * ("file_ids" -> "Files", "has_header" -> "Has header"). */
export function humanLabel(name, spec = {}) {
  if (spec.title) return spec.title;
  if (name === "file_id") return "File";
  if (name === "file_ids") return "Files";
  const words = name.replace(/_ids?$/, "").replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The first sentence of a tool's description: the rest speaks to the model in
 * parameter names ("y is one column…"), which the form's labels already cover. */
export function toolSummary(tool) {
  const text = String(tool?.description || "").trim();
  const end = text.search(/\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}

function humanValue(value) {
  const text = String(value).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function label(tool, name, spec, required) {
  return el("label", { for: fieldId(tool, name) }, humanLabel(name, spec), required ? el("span", { className: "req", "aria-hidden": "true", text: " *" }) : null);
}

function selectOf(id, options, { multiple = false, optional = false, placeholder = "" } = {}) {
  const select = el("select", { id, multiple });
  if (optional && !multiple) select.append(el("option", { value: "", text: placeholder || "(default)" }));
  for (const option of options) select.append(el("option", { value: option.value, text: option.text }));
  return select;
}

function control(tool, name, spec, required) {
  const id = fieldId(tool, name);
  if (spec["x-file"] || spec["x-column"]) {
    return selectOf(id, [], { multiple: isMulti(spec), optional: !required, placeholder: spec["x-column"] ? "(none)" : "" });
  }
  if (spec.enum) {
    const fallback = spec.default !== undefined ? `Default (${humanValue(spec.default)})` : "(default)";
    return selectOf(id, spec.enum.map((v) => ({ value: v, text: humanValue(v) })), { optional: !required, placeholder: fallback });
  }
  if (spec.type === "boolean") {
    return selectOf(id, [{ value: "true", text: "Yes" }, { value: "false", text: "No" }], { optional: !required, placeholder: "Detect automatically" });
  }
  const placeholder = spec.default !== undefined ? `Default: ${spec.default}` : "";
  if (spec.type === "integer" || spec.type === "number") {
    return el("input", { id, type: "number", step: spec.type === "integer" ? 1 : "any", min: spec.minimum, max: spec.maximum, placeholder });
  }
  return el("input", { id, type: "text", maxlength: spec.maxLength, placeholder });
}

/**
 * Builds the form's fields into ``container`` and returns
 * ``{ values(): args, ready: Promise }``; ``preselect`` is a file id to choose first.
 */
export function buildToolForm(container, tool, { preselect = null, onError = () => {} } = {}) {
  clear(container);
  const properties = tool.parameters?.properties || {};
  const required = new Set(tool.parameters?.required || []);
  const fields = new Map();
  for (const [name, spec] of Object.entries(properties)) {
    if (SKIPPED.has(name)) continue;
    const isRequired = required.has(name) || name === "file_id" || name === "file_ids";
    const input = control(tool, name, spec, isRequired);
    // A file field's schema text speaks of ids (for the model); a person gets a picker.
    const words = spec["x-file"] ? "Only the files this tool can read are listed." : spec.description;
    const multi = input.multiple && spec["x-column"] ? " Ctrl/⌘-click to choose several." : "";
    const help = words ? el("p", { className: "muted small field-help", text: words + multi }) : null;
    container.append(el("div", { className: "field", dataset: { param: name } }, label(tool, name, spec, isRequired), input, help));
    fields.set(name, { spec, input });
  }
  const fileField = fields.get("file_id") || fields.get("file_ids");
  const columns = [...fields.values()].filter((f) => f.spec["x-column"]);

  async function loadColumns() {
    const fileId = fileField?.input.value;
    for (const { input } of columns) input.querySelectorAll("option:not([value=''])").forEach((o) => o.remove());
    if (!fileId || !columns.length) return;
    try {
      const body = await api(`/api/tools/${encodeURIComponent(tool.name)}/columns?file=${encodeURIComponent(fileId)}`);
      for (const { input } of columns) input.append(...body.columns.map((c) => el("option", { value: c, text: c })));
    } catch (error) {
      onError(`Could not read the columns: ${error.message}`);
    }
  }

  async function loadFiles() {
    if (!fileField) return;
    try {
      const files = await api(`/api/tools/${encodeURIComponent(tool.name)}/files`);
      fileField.input.append(...files.map((f) => el("option", { value: f.id, text: f.filename })));
      if (!files.length) onError(`None of your files can be read by ${tool.name}.`);
      if (preselect && files.some((f) => f.id === preselect)) fileField.input.value = preselect;
      else if (preselect) {
        fileField.input.prepend(el("option", { value: preselect, text: "the chosen file" }));
        fileField.input.value = preselect;
      }
    } catch (error) {
      onError(`Could not list the files: ${error.message}`);
    }
    await loadColumns();
  }
  fileField?.input.addEventListener("change", loadColumns);

  function values() {
    const args = {};
    for (const [name, { spec, input }] of fields) {
      if (input.multiple) {
        const chosen = Array.from(input.selectedOptions, (o) => o.value).filter(Boolean);
        if (!chosen.length) continue;
        args[name] = spec.type === "array" || chosen.length > 1 ? chosen : chosen[0];
        continue;
      }
      const raw = input.value.trim();
      if (raw === "") continue;
      if (spec.type === "boolean") args[name] = raw === "true";
      else if (spec.type === "integer" || spec.type === "number") args[name] = Number(raw);
      else args[name] = raw;
    }
    return args;
  }

  return { values, ready: loadFiles() };
}

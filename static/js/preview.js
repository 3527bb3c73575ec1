// The preview dialog of the Files page: images inline, PDFs from their fetched bytes,
// text and CSV from the first bytes of the file (a Range request).

import { clear, el } from "./dom.js";
import { formatSize, isRaster } from "./format.js";
import { csvTable } from "./preview_csv.js";

const PREVIEW_TEXT_BYTES = 256 * 1024;
const $ = (id) => document.getElementById(id);
const TEXT_TYPES = /^(text\/|application\/(json|yaml|toml|xml|x-ndjson|rtf))/;

function previewKind(file) {
  if (isRaster(file)) return "image";
  if (file.content_type === "application/pdf") return "pdf";
  if (file.content_type === "text/csv" || /\.csv$/i.test(file.filename)) return "csv";
  if (TEXT_TYPES.test(file.content_type) || file.category === "code") return "text";
  return null;
}

let previewUrl = null;
$("preview-dialog").addEventListener("close", () => {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  clear($("preview-body"));
});

export async function preview(file) {
  const dialog = $("preview-dialog");
  const body = clear($("preview-body"));
  $("preview-title").textContent = file.filename;
  const kind = previewKind(file);
  const footer = el(
    "p",
    { className: "preview-footer muted small" },
    `${formatSize(file.size)} · ${file.content_type} · `,
    el("a", { href: file.download_url, download: "", text: "Download" }),
  );
  dialog.showModal();
  if (!kind) {
    body.append(el("p", { text: "There is no preview for this kind of file. Download it to open it." }), footer);
    return;
  }
  if (kind === "image") {
    body.append(el("img", { className: "preview-image", src: `${file.download_url}?inline=1`, alt: file.filename }), footer);
    return;
  }
  body.append(el("p", { className: "muted", text: "Loading the preview…" }));
  try {
    const node = kind === "pdf" ? await pdfPreview(file) : await textPreview(file, kind);
    clear(body).append(node, footer);
  } catch (error) {
    clear(body).append(el("p", { className: "error", role: "alert", text: `The preview could not be loaded: ${error.message}` }), footer);
  }
}

async function fetchBody(file, { range } = {}) {
  let response;
  try {
    response = await fetch(file.download_url, { headers: range ? { Range: range } : {}, credentials: "same-origin" });
  } catch {
    throw new Error("Connection lost. Check your network and try again.");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const words = {
      404: "the file no longer exists.",
      503: "file storage is unavailable right now. Please try again in a moment.",
    };
    throw new Error(body?.message || words[response.status] || `the server answered ${response.status}.`);
  }
  return response;
}

async function pdfPreview(file) {
  // The download may not be framed (X-Frame-Options: DENY), so the PDF is shown
  // from the fetched bytes through a blob: URL.
  const blob = await (await fetchBody(file)).blob();
  previewUrl = URL.createObjectURL(new Blob([blob], { type: "application/pdf" }));
  return el("iframe", { className: "preview-pdf", src: previewUrl, title: `PDF preview of ${file.filename}` });
}

async function textPreview(file, kind) {
  const response = await fetchBody(file, { range: `bytes=0-${PREVIEW_TEXT_BYTES - 1}` });
  const text = new TextDecoder("utf-8").decode(await response.arrayBuffer());
  const cut = file.size > PREVIEW_TEXT_BYTES;
  const note = cut ? el("p", { className: "muted small", text: `Showing the first ${formatSize(PREVIEW_TEXT_BYTES)} of ${formatSize(file.size)}.` }) : null;
  if (kind === "csv") return el("div", {}, csvTable(text, cut), note);
  return el("div", {}, el("pre", { className: "preview-text", text }), note);
}

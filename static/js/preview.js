// The preview dialog, shared by the Files page (rows, content search matches) and the
// chat (citation chips): images inline, PDFs through pdf.js at a page, text and CSV
// from the file's first bytes (a Range request), and any other indexed document as
// its extracted text, page by page. Given the words of a search, it highlights them
// and scrolls to the first one.

import { api } from "./api.js";
import { clear, el } from "./dom.js";
import { formatSize, isRaster } from "./format.js";
import { icon } from "./icons.js";
import { markText, searchTerms } from "./marks.js";
import { csvTable } from "./preview_csv.js";
import { clampPage, loadingPdfView, pageBar } from "./preview_pages.js";

const PREVIEW_TEXT_BYTES = 256 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|yaml|toml|xml|x-ndjson|rtf))/;
let closing = null; // what the open preview must release when the dialog closes

function previewKind(file) {
  if (isRaster(file)) return "image";
  if (file.content_type === "application/pdf") return "pdf";
  if (file.content_type === "text/csv" || /\.csv$/i.test(file.filename)) return "csv";
  if (TEXT_TYPES.test(file.content_type) || file.category === "code") return "text";
  if (file.text_status === "ready") return "extracted";
  return null;
}

/** The page's preview dialog; built on first use where the template has none. */
function dialog() {
  let node = document.getElementById("preview-dialog");
  if (node) return node;
  const close = el("button", { type: "button", className: "icon-btn", dataset: { close: "" }, "aria-label": "Close preview" }, icon("close"));
  node = el(
    "dialog",
    { id: "preview-dialog", className: "dialog dialog-wide preview-dialog", "aria-labelledby": "preview-title" },
    el("div", { className: "dialog-head" }, el("h2", { id: "preview-title", text: "Preview" }), close),
    el("div", { className: "preview-body", id: "preview-body" }),
  );
  node.addEventListener("close", () => {
    closing?.();
    closing = null;
    clear(document.getElementById("preview-body"));
  });
  document.body.append(node);
  return node;
}

/** Open the preview of the file with id ``fileId`` (read through the API's "can read"
 * check), as of ``options.version`` when given (a citation opens the version it quoted). */
export async function previewById(fileId, options = {}) {
  const body = openDialog("Preview");
  body.append(el("p", { className: "muted", text: "Loading the preview…" }));
  try {
    const version = Number(options.version) || null;
    const query = version ? `?version=${version}` : "";
    const file = await api(`/api/files/${encodeURIComponent(fileId)}${query}`);
    await preview(version ? atVersion(file, version) : file, options);
  } catch (error) {
    clear(body).append(el("p", { className: "error", role: "alert", text: `The preview could not be loaded: ${error.message}` }));
  }
}

/** ``file`` as of its version ``number``: its bytes and its text are that version's. */
function atVersion(file, number) {
  return { ...file, download_url: withQuery(file.download_url, { version: number }), shownVersion: number };
}

function withQuery(url, params) {
  const target = new URL(url, window.location.origin);
  for (const [name, value] of Object.entries(params)) target.searchParams.set(name, String(value));
  return `${target.pathname}${target.search}`;
}

function openDialog(title) {
  const node = dialog();
  closing?.();
  closing = null;
  const body = clear(node.querySelector("#preview-body"));
  node.querySelector("#preview-title").textContent = title;
  if (!node.open) node.showModal();
  return body;
}

/** Open ``file``'s preview, at ``page`` (PDFs, documents) with the words of ``query`` marked. */
export async function preview(file, { page = 1, query = "" } = {}) {
  const body = openDialog(file.shownVersion ? `${file.filename} · version ${file.shownVersion}` : file.filename);
  const kind = previewKind(file);
  const terms = searchTerms(query);
  const footer = el(
    "p",
    { className: "preview-footer muted small" },
    `${formatSize(file.size)} · ${file.content_type} · `,
    el("a", { href: file.download_url, download: "", text: "Download" }),
  );
  if (!kind) {
    body.append(el("p", { text: "There is no preview for this kind of file. Download it to open it." }), footer);
    return;
  }
  if (kind === "image") {
    body.append(el("img", { className: "preview-image", src: withQuery(file.download_url, { inline: 1 }), alt: file.filename }), footer);
    return;
  }
  const width = body.clientWidth;
  // a PDF's page holds its place while it loads; the other kinds say they are loading
  body.append(kind === "pdf" ? loadingPdfView(page, pdfWidth(width)) : el("p", { className: "muted", text: "Loading the preview…" }), footer);
  try {
    const node = await viewOf(kind, file, { page, terms, width });
    clear(body).append(node, footer);
    node.querySelector("mark")?.scrollIntoView({ block: "center" });
  } catch (error) {
    clear(body).append(el("p", { className: "error", role: "alert", text: `The preview could not be loaded: ${error.message}` }), footer);
  }
}

function viewOf(kind, file, options) {
  if (kind === "pdf") return pdfPreview(file, options);
  if (kind === "extracted") return extractedPreview(file, options);
  return textPreview(file, kind, options);
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

async function pdfPreview(file, { page, terms, width }) {
  const { pdfView } = await import("./preview_pdf.js");
  const view = await pdfView(file.download_url, { page, terms, width: pdfWidth(width), title: `PDF preview of ${file.filename}` }).catch((error) => {
    throw new Error(pdfProblem(error));
  });
  closing = view.destroy;
  return view.node;
}

/** The width a PDF page is drawn at in a preview body ``width`` px wide. */
function pdfWidth(width) {
  return Math.max(240, width - 4);
}

/** pdf.js's errors in the words the other previews use. */
function pdfProblem(error) {
  if (error?.name === "PasswordException") return "the PDF is password-protected. Download it to open it.";
  if (error?.name === "InvalidPDFException") return "the file is not a readable PDF.";
  if (error?.status === 404) return "the file no longer exists.";
  if (error?.status === 503) return "file storage is unavailable right now. Please try again in a moment.";
  return error?.message || "the PDF could not be read.";
}

async function textPreview(file, kind, { terms }) {
  const response = await fetchBody(file, { range: `bytes=0-${PREVIEW_TEXT_BYTES - 1}` });
  const text = new TextDecoder("utf-8").decode(await response.arrayBuffer());
  const cut = file.size > PREVIEW_TEXT_BYTES;
  const note = cut ? el("p", { className: "muted small", text: `Showing the first ${formatSize(PREVIEW_TEXT_BYTES)} of ${formatSize(file.size)}.` }) : null;
  if (kind === "csv") return el("div", {}, csvTable(text, cut), note);
  return el("div", {}, el("pre", { className: "preview-text" }, markText(text, terms)), note);
}

/** A document without a native preview (DOCX, slides, sheets): its extracted text, a page at a time. */
async function extractedPreview(file, { page, terms }) {
  const pre = el("pre", { className: "preview-text" });
  const bar = pageBar(file.pages || 1, (n) => show(n));
  async function show(n) {
    const target = clampPage(n, file.pages);
    const version = file.shownVersion ? `&version=${file.shownVersion}` : "";
    const data = await api(`/api/files/${file.id}/text?page=${target}${version}`);
    bar.show(target);
    pre.replaceChildren(markText(data.text, terms));
    pre.querySelector("mark")?.scrollIntoView({ block: "center" });
  }
  await show(page);
  const note = el("p", { className: "muted small", text: "The text read from this document; download it to see its layout." });
  return el("div", { className: "extracted-view" }, bar.node, note, pre);
}

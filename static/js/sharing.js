// The Files page's Share dialog: share a file with people on this server, and make,
// copy (once), count and revoke links for anyone (the /api/files/{id}/shares and
// /api/files/{id}/links endpoints). A new link's URL is shown once: only its hash is kept.
// In its tag mode ("Share a tag"), share every file carrying a tag with someone
// (/api/tags/{tag}/shares); the "Shared by me" view lists those tag shares to revoke.

import { api } from "./api.js";
import { clear, el } from "./dom.js";
import { formatDate } from "./format.js";

const $ = (id) => document.getElementById(id);
let current = null; // the file the dialog is open for; null in its tag mode

export function openShareDialog(file) {
  current = file;
  setMode("file", file.filename);
  const fresh = $("share-new");
  if (fresh) fresh.hidden = true;
  $("share-dialog").showModal();
  refresh();
}

/** The dialog in its tag mode, the tag field filled with ``tag`` when given. */
export function openTagShareDialog(tag = "") {
  current = null;
  setMode("tag", "Share every file of yours that carries a tag, read only.");
  $("share-tag").value = tag;
  $("share-dialog").showModal();
  (tag ? $("share-tag-email") : $("share-tag")).focus();
  loadTagNames();
  refresh();
}

function setMode(mode, subtitle) {
  $("share-title").textContent = mode === "tag" ? "Share a tag" : "Share";
  $("share-file").textContent = subtitle;
  $("share-error").hidden = true;
  for (const id of ["share-people-section", "share-links-section"]) {
    if ($(id)) $(id).hidden = mode === "tag";
  }
  if ($("share-tag-section")) $("share-tag-section").hidden = mode !== "tag";
}

async function loadTagNames() {
  try {
    const { results } = await api("/api/files/tags?limit=50");
    clear($("share-tag-names")).append(...results.map((tag) => el("option", { value: tag.name })));
  } catch {
    // suggestions only: the field still takes any tag
  }
}

function fail(error) {
  $("share-error").textContent = error.message;
  $("share-error").hidden = false;
}

async function refresh() {
  try {
    if (!current) return await refreshTagShares();
    if ($("share-users")) renderShares(await api(`/api/shares?file=${current.id}&live=true`));
    if ($("share-links")) renderLinks(await api(`/api/files/${current.id}/links`));
  } catch (error) {
    fail(error);
  }
}

/** The live tag shares, in the dialog and in the "Shared by me" view's list. */
async function refreshTagShares() {
  const shares = (await api("/api/shares?live=true")).filter((share) => share.tag);
  if ($("share-tags")) renderTagShares($("share-tags"), shares, "No tag is shared yet.");
  const page = $("shared-tags");
  if (page) {
    renderTagShares($("shared-tags-list"), shares, "");
    page.hidden = !shares.length;
  }
}

function renderTagShares(list, shares, none) {
  clear(list);
  if (!shares.length && none) list.append(el("li", { className: "muted small", text: none }));
  for (const share of shares) {
    list.append(
      el("li", { className: "share-item" },
        el("span", { className: "share-what" },
          el("span", {}, el("span", { className: "badge badge-tagname", text: `#${share.tag}` }), ` with ${share.recipient_email}`),
          el("span", { className: "muted small", text: `since ${formatDate(share.created_at)}` })),
        revokeButton(`Stop sharing the tag ${share.tag} with ${share.recipient_email}`, `/api/shares/${share.id}`)),
    );
  }
}

function renderShares(shares) {
  const list = clear($("share-users"));
  if (!shares.length) list.append(el("li", { className: "muted small", text: "Not shared with anyone yet." }));
  for (const share of shares) {
    list.append(
      el("li", { className: "share-item" },
        el("span", { className: "share-what", text: share.recipient_email }),
        el("span", { className: "muted small", text: `since ${formatDate(share.created_at)}` }),
        revokeButton(`Stop sharing with ${share.recipient_email}`, `/api/shares/${share.id}`)),
    );
  }
}

function linkSummary(link) {
  const parts = [link.expires_at ? `expires ${formatDate(link.expires_at)}` : "never expires"];
  if (link.has_password) parts.push("password");
  if (link.max_downloads) parts.push(`limit ${link.max_downloads}`);
  if (link.pinned_version) parts.push(`version ${link.pinned_version}`);
  return parts.join(" · ");
}

function renderLinks(links) {
  const list = clear($("share-links"));
  const live = links.filter((link) => link.active);
  if (!live.length) list.append(el("li", { className: "muted small", text: "No active links." }));
  for (const link of live) {
    const counts = `${link.visits} visit${link.visits === 1 ? "" : "s"} · ${link.downloads} download${link.downloads === 1 ? "" : "s"}`;
    list.append(
      el("li", { className: "share-item" },
        el("span", { className: "share-what" }, el("span", { text: `Link from ${formatDate(link.created_at)}` }), el("span", { className: "muted small", text: linkSummary(link) })),
        el("span", { className: "share-counts", text: counts }),
        revokeButton("Revoke this link", `/api/links/${link.id}`)),
    );
  }
}

function revokeButton(label, url) {
  return el("button", {
    type: "button",
    className: "btn btn-small btn-ghost danger-text",
    "aria-label": label,
    text: "Revoke",
    onclick: async () => {
      try {
        await api(url, { method: "DELETE" });
        await refresh();
        if (!current) document.dispatchEvent(new CustomEvent("shares-changed"));
      } catch (error) {
        fail(error);
      }
    },
  });
}

$("share-user-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = $("share-email");
  try {
    await api(`/api/files/${current.id}/shares`, { method: "POST", json: { email: email.value } });
    email.value = "";
    $("share-error").hidden = true;
    await refresh();
  } catch (error) {
    fail(error);
  }
});

$("share-tag-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const tag = $("share-tag").value.trim();
  const email = $("share-tag-email");
  try {
    await api(`/api/tags/${encodeURIComponent(tag)}/shares`, { method: "POST", json: { email: email.value } });
    email.value = "";
    $("share-error").hidden = true;
    await refresh();
    document.dispatchEvent(new CustomEvent("shares-changed"));
  } catch (error) {
    fail(error);
  }
});

$("share-tag-open")?.addEventListener("click", () => openTagShareDialog());
if ($("shared-tags")) refreshTagShares().catch((error) => showError(error));

function showError(error) {
  const list = $("shared-tags-list");
  clear(list).append(el("li", { className: "error", text: `Could not load your tag shares: ${error.message}` }));
  $("shared-tags").hidden = false;
}

$("share-link-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const expiry = $("share-expiry").value;
  const limit = $("share-max").value;
  const body = {
    expires_in: expiry === "never" ? null : Number(expiry),
    password: $("share-password").value,
    max_downloads: limit ? Number(limit) : null,
    pin_version: $("share-pin").checked,
  };
  try {
    const link = await api(`/api/files/${current.id}/links`, { method: "POST", json: body });
    $("share-url").value = link.url;
    $("share-new").hidden = false;
    $("share-url").select();
    $("share-password").value = "";
    $("share-error").hidden = true;
    await refresh();
  } catch (error) {
    fail(error);
  }
});

$("share-copy")?.addEventListener("click", async () => {
  const input = $("share-url");
  try {
    await navigator.clipboard.writeText(input.value);
    $("share-copy").textContent = "Copied";
  } catch {
    input.select(); // no clipboard permission: leave it selected for Ctrl+C
  }
  setTimeout(() => ($("share-copy").textContent = "Copy"), 1500);
});

// Talking to the site's JSON API: CSRF, typed errors, uploads with progress.
// Every failure becomes an ApiError whose message is written for a person.

const FRIENDLY = {
  network: "Connection lost. Check your network and try again.",
  storage_unavailable: "File storage is unavailable right now. Please try again in a moment.",
  file_too_large: "This file is larger than the upload limit.",
  quota_exceeded: "This upload would go over your storage quota. Delete some files first.",
  not_found: "That item no longer exists. It may have been deleted.",
  forbidden: "You do not have access to that.",
  not_authenticated: "Your session has ended. Please sign in again.",
  server_error: "Something went wrong on the server. Please try again.",
};

export class ApiError extends Error {
  constructor(code, message, status = 0) {
    super(message || FRIENDLY[code] || FRIENDLY.server_error);
    this.code = code;
    this.status = status;
  }
}

/** The error to show for an API response body ({code, message}) and status. */
export function errorFrom(status, body) {
  const code = (body && body.code) || (status === 404 ? "not_found" : status >= 500 ? "server_error" : "error");
  if (status === 401 || status === 403) {
    if (code === "not_authenticated" || code === "authentication_failed") {
      return new ApiError("not_authenticated", FRIENDLY.not_authenticated, status);
    }
  }
  // Storage and server failures get our wording; the API's message is already
  // written for people in the other cases (too large, quota, invalid input).
  if (code === "storage_unavailable" || (status >= 500 && !body?.message)) {
    return new ApiError(code, FRIENDLY[code] || FRIENDLY.server_error, status);
  }
  return new ApiError(code, (body && body.message) || FRIENDLY[code], status);
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

/** fetch() a JSON endpoint; resolves with the parsed body (null for 204). */
export async function api(url, { method = "GET", json, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (json !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError("network");
  }
  if (response.status === 204) return null;
  const body = await response.json().catch(() => null);
  if (!response.ok) throw errorFrom(response.status, body);
  return body;
}

/**
 * Upload one file with POST /api/files (multipart), reporting progress.
 * XMLHttpRequest rather than fetch: fetch has no upload progress events.
 */
export function uploadFile(file, { session = null, onProgress = () => {}, url = "/api/files" } = {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file, file.name);
    if (session) form.append("session", session);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url); // /api/files, or ?replace={id} / /api/files/{id}/versions: a new version
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 201) resolve(xhr.response);
      else reject(errorFrom(xhr.status, xhr.response));
    });
    xhr.addEventListener("error", () => reject(new ApiError("network")));
    xhr.addEventListener("abort", () => reject(new ApiError("aborted", "Upload cancelled.")));
    xhr.send(form);
  });
}

export function friendly(code) {
  return FRIENDLY[code];
}

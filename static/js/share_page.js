// The public share page's PDF preview: the bytes are fetched and shown from a blob:
// URL, because the preview response itself may not be framed (sandbox CSP, DENY).
const box = document.querySelector(".share-pdf[data-preview-url]");
if (box) {
  fetch(box.dataset.previewUrl, { credentials: "same-origin", referrerPolicy: "no-referrer" })
    .then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      return response.blob();
    })
    .then((blob) => {
      const frame = document.createElement("iframe");
      frame.title = "PDF preview";
      frame.src = URL.createObjectURL(new Blob([blob], { type: "application/pdf" }));
      box.replaceChildren(frame);
    })
    .catch(() => {
      box.querySelector("p").textContent = "The preview could not be loaded; download the file instead.";
    });
}

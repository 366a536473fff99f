// Postmagiq — post page.
//
// The editor autosaves through htmx attributes in the markup; this file only keeps the
// writer informed: it says "Unsaved changes" while typing, keeps saying it if they typed on
// while a save was in flight, warns before leaving with text no save has stored yet, and lets
// Ctrl/Cmd+S save a version.

(() => {
  "use strict";

  const editor = () => document.getElementById("post-editor");
  const indicator = () => document.getElementById("autosave-result");

  // Every keystroke counts as an edit; a save settles only the edits made before it was sent.
  let edits = 0;
  let savedEdits = 0;
  let sentEdits = 0;
  let leavingOnPurpose = false;

  const dirty = () => edits !== savedEdits;

  const showUnsaved = () => {
    const out = indicator();
    if (!out) return;
    const state = out.querySelector("[data-state]");
    if (state && state.dataset.state === "dirty") return;
    const span = document.createElement("span");
    span.className = "autosave-state autosave-dirty";
    span.dataset.state = "dirty";
    span.textContent = "Unsaved changes";
    out.replaceChildren(span);
  };

  const fromEditor = (event) => {
    const form = editor();
    const source = event.detail?.elt;
    return Boolean(form && source instanceof Element && form.contains(source));
  };

  document.addEventListener("input", (event) => {
    const form = editor();
    if (!form || !(event.target instanceof Element) || !form.contains(event.target)) return;
    edits += 1;
    showUnsaved();
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (fromEditor(event)) sentEdits = edits;
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    if (!fromEditor(event)) return;
    const state = indicator()?.querySelector("[data-state]")?.dataset.state;
    if (state === "saved" || state === "unchanged") savedEdits = sentEdits;
    if (dirty() && state !== "error") showUnsaved();
  });

  // htmx swaps nothing for a failed request; without this the writer would keep reading
  // "Unsaved changes" and never learn that saving has stopped working.
  const showFailure = (message) => {
    const out = indicator();
    if (!out) return;
    const span = document.createElement("span");
    span.className = "autosave-state autosave-error";
    span.dataset.state = "error";
    span.setAttribute("role", "alert");
    span.textContent = message;
    out.replaceChildren(span);
  };

  document.addEventListener("htmx:responseError", (event) => {
    if (!fromEditor(event)) return;
    const status = event.detail?.xhr?.status;
    showFailure(
      status === 403
        ? "Not saved: you can no longer edit this post."
        : status === 404
          ? "Not saved: this post no longer exists."
          : "Not saved: the server had a problem. Your text is still here."
    );
  });

  document.addEventListener("htmx:sendError", (event) => {
    if (fromEditor(event)) showFailure("Not saved: no connection. Your text is still here.");
  });

  document.addEventListener("submit", (event) => {
    if (event.target === editor()) leavingOnPurpose = true;
  });

  document.addEventListener("keydown", (event) => {
    const form = editor();
    if (!form || event.key !== "s" || !(event.ctrlKey || event.metaKey)) return;
    if (!(event.target instanceof Element) || !form.contains(event.target)) return;
    event.preventDefault();
    form.requestSubmit();
  });

  window.addEventListener("beforeunload", (event) => {
    if (leavingOnPurpose || !dirty()) return;
    event.preventDefault();
    // Older browsers only show the prompt when returnValue is set.
    event.returnValue = "";
  });
})();

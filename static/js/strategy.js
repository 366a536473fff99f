// Postmagiq — strategy page: inline post title editing.
//
// htmx swaps a title for a small form (Edit) and back (Save, Cancel). This file adds what
// htmx attributes cannot express under our CSP (no eval, so no trigger filters): Escape to
// cancel, focus handling, and showing the 422 answer that carries a validation message.

(() => {
  "use strict";

  const FORM = ".sp-title-form";

  // htmx leaves 4xx answers unswapped; the title form's 422 is the form again with its
  // message, meant to replace the one on the page.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const detail = event.detail;
    const origin = detail && detail.elt instanceof Element ? detail.elt : null;
    if (detail && detail.xhr && detail.xhr.status === 422 && origin && origin.closest(FORM)) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  // Escape puts the title back as it was, without saving.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const target = event.target instanceof Element ? event.target : null;
    const form = target ? target.closest(FORM) : null;
    if (!form || !form.dataset.cancelUrl || !window.htmx) return;
    event.preventDefault();
    event.stopPropagation();
    window.htmx.ajax("GET", form.dataset.cancelUrl, { target: form, swap: "outerHTML" });
  });

  // The edit form arrives: put the caret in the title, text selected for retyping.
  // The title comes back: return focus to its Edit button so keyboard users keep their place.
  document.addEventListener("htmx:load", (event) => {
    const element = event.detail && event.detail.elt;
    if (!(element instanceof Element)) return;
    if (element.matches(FORM)) {
      const input = element.querySelector("input[name=title]");
      if (input) {
        input.focus();
        input.select();
      }
    } else if (element.matches(".sp-title")) {
      const lost = !document.activeElement || document.activeElement === document.body;
      const button = element.querySelector(".sp-title-edit");
      if (lost && button) button.focus();
    }
  });
})();

// Postmagiq — progressive enhancement.
//
// Every page works without this file; it only smooths the edges. The CSP
// forbids inline script, so all behaviour hangs off data-* attributes and
// is wired here. Event listeners are delegated to `document` wherever the
// event bubbles, so content swapped in by htmx needs no re-binding; the
// few things that need an initial pass (disabled buttons, counters, slug
// state) run on DOMContentLoaded and again for every `htmx:load` fragment.

(() => {
  "use strict";

  const SUBMIT_SELECTOR = 'button[type="submit"], button:not([type]), input[type="submit"]';

  /** Elements matching `selector` inside `root`, including `root` itself. */
  const within = (root, selector) => {
    const found = Array.from(root.querySelectorAll(selector));
    if (root instanceof Element && root.matches(selector)) found.unshift(root);
    return found;
  };

  /** Resolve a selector from an attribute without throwing on bad input. */
  const lookup = (selector) => {
    if (!selector) return null;
    try {
      return document.querySelector(selector);
    } catch {
      return null;
    }
  };

  // ---------------------------------------------------------------------
  // Screen-reader announcements (used by the copy buttons). One shared,
  // visually hidden live region is created lazily.
  // ---------------------------------------------------------------------

  let liveRegion = null;
  const announce = (message) => {
    if (!liveRegion) {
      liveRegion = document.createElement("div");
      liveRegion.className = "sr-only";
      liveRegion.setAttribute("aria-live", "polite");
      document.body.appendChild(liveRegion);
    }
    // Clearing first makes repeated identical messages re-announce.
    liveRegion.textContent = "";
    window.setTimeout(() => { liveRegion.textContent = message; }, 50);
  };

  // ---------------------------------------------------------------------
  // Typed confirmation: destructive forms stay disabled until the user
  // types the expected value (e.g. the workspace slug).
  // ---------------------------------------------------------------------

  const confirmMatches = (input) =>
    input.value.trim() === (input.dataset.confirmMatch || "").trim();

  const syncConfirmMatch = (input) => {
    const form = input.closest("form");
    if (!form) return;
    const ok = confirmMatches(input);
    form.querySelectorAll(SUBMIT_SELECTOR).forEach((button) => {
      button.disabled = !ok;
    });
  };

  // ---------------------------------------------------------------------
  // Slug suggestion from a name field, until the user edits the slug.
  // ---------------------------------------------------------------------

  const slugify = (text) =>
    text
      .toLowerCase()
      .normalize("NFKD")
      .replace(/\p{M}+/gu, "")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60)
      .replace(/-+$/, "");

  const initSlug = (slugInput) => {
    if (slugInput.dataset.slugState) return;
    const source = lookup(slugInput.dataset.slugFrom);
    // A pre-filled slug that doesn't match the name (edit form, or a form
    // re-rendered after a validation error) counts as hand-written.
    const prefilled = slugInput.value.trim();
    const derived = source ? slugify(source.value) : "";
    slugInput.dataset.slugState = prefilled && prefilled !== derived ? "manual" : "auto";
  };

  const onSlugSourceInput = (source) => {
    document.querySelectorAll("input[data-slug-from]").forEach((slugInput) => {
      if (lookup(slugInput.dataset.slugFrom) !== source) return;
      initSlug(slugInput);
      if (slugInput.dataset.slugState === "auto") {
        slugInput.value = slugify(source.value);
      }
    });
  };

  // ---------------------------------------------------------------------
  // Password confirmation.
  // ---------------------------------------------------------------------

  const syncPasswordMatch = (confirmInput) => {
    const other = lookup(confirmInput.dataset.match);
    if (!other) return;
    confirmInput.setCustomValidity(
      confirmInput.value === other.value ? "" : "Passwords do not match"
    );
  };

  // ---------------------------------------------------------------------
  // Character counters.
  // ---------------------------------------------------------------------

  const syncCharCount = (field) => {
    const counter = document.getElementById(field.dataset.charCount);
    if (!counter) return;
    const length = field.value.length;
    const max = field.maxLength > 0 ? field.maxLength : 0;
    counter.textContent = max ? `${length} / ${max}` : String(length);
    if (max) {
      counter.dataset.charState =
        length >= max ? "full" : length >= max * 0.9 ? "near" : "ok";
    }
    // Let assistive tech associate the counter with the field.
    const described = (field.getAttribute("aria-describedby") || "").split(/\s+/);
    if (counter.id && !described.includes(counter.id)) {
      described.push(counter.id);
      field.setAttribute("aria-describedby", described.filter(Boolean).join(" "));
    }
  };

  // ---------------------------------------------------------------------
  // Initial pass over a freshly loaded document or htmx fragment.
  // ---------------------------------------------------------------------

  const init = (root) => {
    if (!root || typeof root.querySelectorAll !== "function") return;
    within(root, "input[data-confirm-match]").forEach(syncConfirmMatch);
    within(root, "input[data-slug-from]").forEach(initSlug);
    within(root, "input[data-match]").forEach(syncPasswordMatch);
    within(root, "[data-char-count]").forEach(syncCharCount);
  };

  // ---------------------------------------------------------------------
  // Delegated listeners.
  // ---------------------------------------------------------------------

  document.addEventListener("input", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLElement)) return;

    if (target.matches("input[data-confirm-match]")) syncConfirmMatch(target);
    if (target.matches("[data-char-count]")) syncCharCount(target);

    if (target.matches("input[data-slug-from]")) {
      // The user typed into the slug: stop overwriting it, unless they
      // cleared it, which hands control back to the suggestion.
      target.dataset.slugState = target.value.trim() === "" ? "auto" : "manual";
    } else if (target.id || target.name) {
      onSlugSourceInput(target);
    }

    if (target.matches("input[data-match]")) syncPasswordMatch(target);
    document.querySelectorAll("input[data-match]").forEach((confirmInput) => {
      if (confirmInput !== target && lookup(confirmInput.dataset.match) === target) {
        syncPasswordMatch(confirmInput);
      }
    });
  });

  // Capture phase, so a cancelled confirmation stops the event before it
  // reaches the form — including htmx's own submit handler on the form.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement)) return;

      const typed = form.querySelector("input[data-confirm-match]");
      const question = form.dataset.confirm;
      const blocked =
        (typed && !confirmMatches(typed)) || (question && !window.confirm(question));

      if (blocked) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;

    // Close any open menu the click was not inside.
    document.querySelectorAll("details.menu[open]").forEach((menu) => {
      if (!menu.contains(target)) menu.removeAttribute("open");
    });

    const themeButton = target.closest("button.theme-toggle");
    if (themeButton) flipTheme(themeButton);

    const copyButton = target.closest("[data-copy]");
    if (copyButton) {
      event.preventDefault();
      copyFrom(copyButton);
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach((menu) => {
      const hadFocus = menu.contains(document.activeElement);
      menu.removeAttribute("open");
      if (hadFocus) menu.querySelector("summary")?.focus();
    });
  });

  // ---------------------------------------------------------------------
  // Theme: the form still POSTs (the server stores the choice and answers
  // 303); flipping the attribute first avoids a flash of the old theme.
  // ---------------------------------------------------------------------

  function flipTheme(button) {
    const root = document.documentElement;
    const form = button.form;
    // Prefer the value the server will receive, if the markup states it.
    const explicit =
      (button.name === "theme" && button.value) ||
      form?.querySelector('input[name="theme"]')?.value ||
      "";
    let next = explicit;
    if (next !== "light" && next !== "dark" && next !== "system") {
      const current =
        root.dataset.theme === "dark" || root.dataset.theme === "light"
          ? root.dataset.theme
          : window.matchMedia("(prefers-color-scheme: dark)").matches
            ? "dark"
            : "light";
      next = current === "dark" ? "light" : "dark";
    }
    root.dataset.theme = next;
  }

  // ---------------------------------------------------------------------
  // Copy to clipboard.
  // ---------------------------------------------------------------------

  const copyTimers = new WeakMap();

  const textOf = (element) =>
    element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement
      ? element.value
      : (element.textContent || "").trim();

  const legacyCopy = (text) => {
    const scratch = document.createElement("textarea");
    scratch.value = text;
    scratch.setAttribute("readonly", "");
    scratch.className = "sr-only";
    document.body.appendChild(scratch);
    scratch.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    scratch.remove();
    return ok;
  };

  async function copyFrom(button) {
    const source = lookup(button.dataset.copy);
    if (!source) return;
    const text = textOf(source);

    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        ok = true;
      } else {
        ok = legacyCopy(text);
      }
    } catch {
      ok = legacyCopy(text);
    }

    // Remember the original label once, even across rapid repeat clicks.
    if (!copyTimers.has(button)) button.dataset.copyLabel = button.innerHTML;
    else window.clearTimeout(copyTimers.get(button));

    button.textContent = ok ? "Copied" : "Copy failed";
    announce(ok ? "Copied to clipboard" : "Copy failed");
    copyTimers.set(
      button,
      window.setTimeout(() => {
        button.innerHTML = button.dataset.copyLabel || "";
        delete button.dataset.copyLabel;
        copyTimers.delete(button);
      }, 1500)
    );
  }

  // ---------------------------------------------------------------------
  // Boot.
  // ---------------------------------------------------------------------

  const boot = () => init(document);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot, { once: true });
  } else {
    boot();
  }

  // htmx fires this for each newly swapped-in fragment.
  document.addEventListener("htmx:load", (event) => {
    init(event.detail?.elt || event.target);
  });

  // Back/forward cache restores old field values without input events.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) boot();
  });
})();

// File inputs that fill a textarea: the file is read here, so the form stays a plain
// urlencoded POST (with its CSRF field) and works the same when the text is pasted.
document.addEventListener('change', (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== 'file') return;
  const target = input.dataset.fillTextarea && document.querySelector(input.dataset.fillTextarea);
  const file = input.files && input.files[0];
  if (!target || !file) return;
  if (file.size > 1024 * 1024) {
    target.value = '';
    input.setCustomValidity('Choose a file of 1 MB or less.');
    input.reportValidity();
    return;
  }
  input.setCustomValidity('');
  file.text().then((text) => {
    target.value = text;
    target.dispatchEvent(new Event('input', { bubbles: true }));
  });
});

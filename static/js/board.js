// Postmagiq — the board: drag and drop, keyboard moves and live updates.
//
// The board works without this file: every card has a plain "Move to" form.
// This adds three faster ways to do the same POST (dragging a card onto a
// column, Alt+Left / Alt+Right on a focused card) and keeps the columns in
// step with everyone else's changes through the workspace event stream.
// Listeners are delegated to the columns container, so cards loaded by
// "Show more" or swapped in by a refresh need no re-binding.

(() => {
  "use strict";

  const root = document.querySelector("[data-board]");
  const columnsBox = document.getElementById("board-columns");
  if (!root || !columnsBox) return;

  const alertBox = document.getElementById("board-alert");
  const liveBox = document.getElementById("board-live");
  const slug = root.dataset.slug || "";
  const PAGE_SIZE = 50;
  const EVENT_KINDS = [
    "post.created",
    "post.updated",
    "post.status_changed",
    "post.assigned",
    "post.deleted",
  ];

  /** status → statuses this user may move a card to, from the server. */
  let transitions = {};
  try {
    transitions = JSON.parse(root.dataset.transitions || "{}");
  } catch {
    transitions = {};
  }

  // ---------------------------------------------------------------------
  // Small helpers.
  // ---------------------------------------------------------------------

  const csrfToken = () => {
    try {
      const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRF-Token"] || "";
    } catch {
      return "";
    }
  };

  const columns = () => Array.from(columnsBox.querySelectorAll(".board-col"));
  const columnOf = (status) =>
    columns().find((col) => col.dataset.status === status) || null;
  const labelOf = (status) => columnOf(status)?.dataset.label || status;
  const titleOf = (card) =>
    (card.querySelector(".board-card-title")?.textContent || "").trim();
  const movesOf = (card) => (card.dataset.moves || "").split(/\s+/).filter(Boolean);
  const cardFrom = (node) =>
    node instanceof Element ? node.closest(".board-card") : null;

  const announce = (message) => {
    if (!liveBox) return;
    // Clearing first makes a repeated message be read again.
    liveBox.textContent = "";
    window.setTimeout(() => {
      liveBox.textContent = message;
    }, 50);
  };

  const showError = (message) => {
    if (alertBox) alertBox.textContent = message;
  };

  const clearError = () => {
    if (alertBox) alertBox.textContent = "";
  };

  /** The readable message of an error page or fragment, without the request id. */
  const errorText = (html) => {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const box =
      doc.querySelector(".alert") || doc.querySelector(".error-page") || doc.body;
    if (!box) return "";
    box.querySelectorAll(".mono, a, .btn").forEach((el) => el.remove());
    return (box.textContent || "").replace(/\s+/g, " ").trim();
  };

  // ---------------------------------------------------------------------
  // Moving a card: the server decides, the page follows.
  // ---------------------------------------------------------------------

  const inFlight = new Set();

  async function postMove(card, to) {
    const url =
      `/w/${encodeURIComponent(slug)}/posts/` +
      `${encodeURIComponent(card.dataset.postId || "")}/move`;
    let res;
    try {
      res = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "X-CSRF-Token": csrfToken(),
          "X-Requested-With": "fetch",
          // Errors come back as a short fragment rather than a whole page.
          "HX-Request": "true",
        },
        body: new URLSearchParams({ status: to }),
      });
    } catch {
      return {
        ok: false,
        message: "The board could not reach the server. Check the connection and try again.",
      };
    }
    if (res.ok) return { ok: true };
    const redirect = res.headers.get("HX-Redirect");
    if (redirect) {
      window.location.assign(redirect);
      return { ok: false, message: "Please sign in again." };
    }
    const message = errorText(await res.text().catch(() => ""));
    return {
      ok: false,
      fromServer: true,
      message: message || `The card could not be moved (error ${res.status}).`,
    };
  }

  const setCount = (col, delta) => {
    const counter = col.querySelector("[data-count]");
    if (counter) {
      const n = Math.max(0, (parseInt(counter.textContent || "0", 10) || 0) + delta);
      counter.textContent = String(n);
      const words = counter.nextElementSibling;
      if (words) words.textContent = n === 1 ? " card" : " cards";
    }
    const empty = col.querySelector(".board-empty");
    if (empty) empty.hidden = col.querySelector(".board-card") !== null;
  };

  const rebuildMoveSelect = (card, moves) => {
    const select = card.querySelector(".board-move select");
    if (!select) return;
    const order = columns().map((col) => col.dataset.status);
    const here = order.indexOf(card.dataset.status);
    const forward = moves.find((status) => order.indexOf(status) > here) || moves[0];
    select.replaceChildren(
      ...moves.map((status) => new Option(labelOf(status), status, false, status === forward))
    );
  };

  /** Puts the card at the end of the loaded cards of its new column. */
  function place(card, to) {
    const fromCol = columnOf(card.dataset.status || "");
    const toCol = columnOf(to);
    const list = toCol?.querySelector(".board-cards");
    if (!toCol || !list) return;
    list.insertBefore(card, list.querySelector(":scope > .board-more"));
    card.dataset.status = to;
    const moves = transitions[to] || [];
    card.dataset.moves = moves.join(" ");
    rebuildMoveSelect(card, moves);
    if (fromCol) setCount(fromCol, -1);
    setCount(toCol, 1);
  }

  async function move(card, to, viaKeyboard) {
    const id = card.id;
    const key = card.dataset.postId || id;
    if (inFlight.has(key)) return;
    const title = titleOf(card);
    inFlight.add(key);
    card.setAttribute("aria-busy", "true");
    const result = await postMove(card, to);
    inFlight.delete(key);
    // A refresh may have replaced the element meanwhile; act on the current one.
    const current = (id && document.getElementById(id)) || card;
    current.removeAttribute("aria-busy");
    if (result.ok) {
      clearError();
      if (current.dataset.status !== to) place(current, to);
      announce(`Moved \u201c${title}\u201d to ${labelOf(to)}.`);
    } else {
      showError(result.message);
      announce(result.message);
      // Refused moves are often stale ones: show where things really are.
      if (result.fromServer) refreshPending = true;
    }
    if (viaKeyboard) current.focus({ preventScroll: false });
    flushRefresh();
  }

  // ---------------------------------------------------------------------
  // Drag and drop.
  // ---------------------------------------------------------------------

  let dragging = null;
  let lastOver = null;

  const endDrag = () => {
    if (dragging) dragging.classList.remove("is-dragging");
    columns().forEach((col) =>
      col.classList.remove("is-drop-allowed", "is-drop-target")
    );
    dragging = null;
  };

  columnsBox.addEventListener("dragstart", (event) => {
    const card = cardFrom(event.target);
    if (!card || card.getAttribute("draggable") !== "true" || !event.dataTransfer) return;
    dragging = card;
    lastOver = null;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.postId || "");
    card.classList.add("is-dragging");
    const allowed = movesOf(card);
    columns().forEach((col) =>
      col.classList.toggle("is-drop-allowed", allowed.includes(col.dataset.status || ""))
    );
  });

  columnsBox.addEventListener("dragover", (event) => {
    const col = event.target instanceof Element ? event.target.closest(".board-col") : null;
    if (!dragging || !col) return;
    lastOver = col;
    if (!movesOf(dragging).includes(col.dataset.status || "")) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "move";
    col.classList.add("is-drop-target");
  });

  columnsBox.addEventListener("dragleave", (event) => {
    const col = event.target instanceof Element ? event.target.closest(".board-col") : null;
    const to = event.relatedTarget instanceof Node ? event.relatedTarget : null;
    if (col && !(to && col.contains(to))) col.classList.remove("is-drop-target");
    // Released outside the board is a cancel, not a refused drop.
    if (!(to && columnsBox.contains(to))) lastOver = null;
  });

  columnsBox.addEventListener("drop", (event) => {
    const col = event.target instanceof Element ? event.target.closest(".board-col") : null;
    const card = dragging;
    if (!card || !col) return;
    event.preventDefault();
    const to = col.dataset.status || "";
    endDrag();
    lastOver = null;
    if (movesOf(card).includes(to)) move(card, to, false);
  });

  columnsBox.addEventListener("dragend", () => {
    const card = dragging;
    const over = lastOver;
    endDrag();
    lastOver = null;
    // Dropped on a column it may not go to: say why instead of doing nothing silently.
    if (card && over && over.dataset.status !== card.dataset.status) {
      const message =
        `\u201c${titleOf(card)}\u201d cannot go from ${labelOf(card.dataset.status || "")} ` +
        `to ${labelOf(over.dataset.status || "")}.`;
      showError(message);
      announce(message);
    }
    flushRefresh();
  });

  // ---------------------------------------------------------------------
  // Keyboard: Alt+ArrowLeft / Alt+ArrowRight move the focused card to the
  // nearest column in that direction that it may go to.
  // ---------------------------------------------------------------------

  columnsBox.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const target = event.target instanceof Element ? event.target : null;
    const card = cardFrom(target);
    if (!card || target.matches("select, input, textarea")) return;
    const allowed = movesOf(card);
    if (!allowed.length) return;
    // Also keeps the browser from going back or forward in history.
    event.preventDefault();
    const order = columns().map((col) => col.dataset.status || "");
    const step = event.key === "ArrowRight" ? 1 : -1;
    let to = null;
    for (let i = order.indexOf(card.dataset.status || "") + step; i >= 0 && i < order.length; i += step) {
      if (allowed.includes(order[i])) {
        to = order[i];
        break;
      }
    }
    if (!to) {
      announce(`\u201c${titleOf(card)}\u201d cannot move further ${step > 0 ? "right" : "left"}.`);
      return;
    }
    move(card, to, true);
  });

  // ---------------------------------------------------------------------
  // Live refresh: any post event re-reads the columns (with the current
  // filters) and swaps them in, but never under a drag, a pending move or
  // an open "Move to" menu.
  // ---------------------------------------------------------------------

  let refreshTimer = 0;
  let refreshPending = false;
  let refreshing = false;

  const busy = () => {
    const active = document.activeElement;
    return (
      dragging !== null ||
      inFlight.size > 0 ||
      (active instanceof HTMLSelectElement && columnsBox.contains(active))
    );
  };

  function requestRefresh() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(refresh, 250);
  }

  function flushRefresh() {
    if (refreshPending) requestRefresh();
  }

  /** This page's URL, asking to keep as many cards per column as are shown now. */
  function columnsUrl() {
    const url = new URL(window.location.href);
    url.hash = "";
    columns().forEach((col) => {
      const shown = col.querySelectorAll(".board-card").length;
      const key = `show_${col.dataset.status}`;
      if (shown > PAGE_SIZE) url.searchParams.set(key, String(shown));
      else url.searchParams.delete(key);
    });
    return url.toString();
  }

  /** Where focus is, in terms that survive the columns being replaced. */
  const focusKey = (el) => {
    if (!(el instanceof HTMLElement) || !columnsBox.contains(el)) return null;
    if (el.id) return { id: el.id };
    const card = el.closest(".board-card");
    const part = ["a.board-card-title", "select", "button"].find((sel) => el.matches(sel));
    if (card && part) return { id: card.id, part };
    const more = el.closest(".board-more");
    if (more) return { more: more.closest(".board-col")?.dataset.status || "" };
    return null;
  };

  const restoreFocus = (key) => {
    if (!key) return;
    let target = key.id ? document.getElementById(key.id) : null;
    if (target && key.part) target = target.querySelector(key.part);
    if (!target && key.more) target = columnOf(key.more)?.querySelector(".board-more a") || null;
    if (target instanceof HTMLElement) target.focus({ preventScroll: true });
  };

  function swap(html) {
    const focus = focusKey(document.activeElement);
    const scrollLeft = columnsBox.scrollLeft;
    const scrolls = new Map(
      columns().map((col) => [col.dataset.status, col.querySelector(".board-cards")?.scrollTop || 0])
    );
    columnsBox.innerHTML = html;
    if (window.htmx && typeof window.htmx.process === "function") window.htmx.process(columnsBox);
    columnsBox.scrollLeft = scrollLeft;
    columns().forEach((col) => {
      const list = col.querySelector(".board-cards");
      if (list) list.scrollTop = scrolls.get(col.dataset.status) || 0;
    });
    restoreFocus(focus);
  }

  async function refresh() {
    if (busy() || refreshing) {
      refreshPending = true;
      return;
    }
    refreshing = true;
    refreshPending = false;
    try {
      const res = await fetch(columnsUrl(), {
        credentials: "same-origin",
        cache: "no-store",
        headers: { "HX-Request": "true" },
      });
      const redirect = res.headers.get("HX-Redirect");
      if (redirect) {
        window.location.assign(redirect);
        return;
      }
      if (!res.ok) return;
      const html = await res.text();
      if (busy()) {
        refreshPending = true;
        return;
      }
      swap(html);
      root.dispatchEvent(new CustomEvent("board:refreshed", { bubbles: true }));
    } catch {
      // Offline for a moment: the next event or reconnect refreshes again.
    } finally {
      refreshing = false;
      if (refreshPending) requestRefresh();
    }
  }

  // A "Move to" menu that was open during an update catches up when it closes.
  columnsBox.addEventListener("focusout", () => window.setTimeout(flushRefresh, 0));

  let source = null;

  function connect() {
    const url = root.dataset.eventsUrl;
    if (!url || !("EventSource" in window) || source) return;
    source = new EventSource(url);
    EVENT_KINDS.forEach((kind) => source.addEventListener(kind, requestRefresh));
  }

  window.addEventListener("pagehide", () => {
    if (source) source.close();
    source = null;
  });

  // Back/forward cache: the stream was closed, so catch up and listen again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    connect();
    requestRefresh();
  });

  connect();
})();

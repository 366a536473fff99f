// Postmagiq — workflow runs: the story counter on the New run form, and the live run page.
//
// Both pages work without this file. On the run page it follows the run's event stream:
// log lines are appended (as text, never as markup), the graph's active state moves, the
// meter counts up, and whenever the run's situation changes the server-rendered panels are
// fetched again, so the server stays the source of truth. Aborting asks in a dialog; without
// this file the server asks on a page of its own.

(() => {
  "use strict";

  // ---------------------------------------------------------------------
  // New run: characters used against the workspace's limit.
  // ---------------------------------------------------------------------

  const story = document.querySelector("textarea[data-story-limit]");
  if (story) {
    const limit = Number(story.dataset.storyLimit) || 0;
    const box = document.getElementById("run-story-count");
    const count = box ? box.querySelector("[data-story-count]") : null;
    const sync = () => {
      // Count code points, as the server does.
      const n = Array.from(story.value.replace(/\r\n/g, "\n")).length;
      if (count) count.textContent = String(n);
      if (box) box.dataset.state = limit && n > limit ? "over" : n > limit * 0.9 ? "near" : "ok";
      story.setCustomValidity(
        limit && n > limit ? `The story is ${n - limit} characters over the limit of ${limit}.` : ""
      );
    };
    story.addEventListener("input", sync);
    sync();
  }

  // ---------------------------------------------------------------------
  // Aborting: a dialog stands in for the server's confirmation page.
  // ---------------------------------------------------------------------

  const dialog = document.getElementById("run-abort-dialog");
  let pendingAbort = null;

  document.addEventListener(
    "click",
    (event) => {
      const button = event.target instanceof Element ? event.target.closest("[data-confirm-abort]") : null;
      if (!button || !dialog || typeof dialog.showModal !== "function") return;
      const form = button.form;
      const confirm = form ? form.querySelector('input[name="confirm"]') : null;
      if (!confirm || confirm.value === "yes") return;
      event.preventDefault();
      pendingAbort = button;
      dialog.showModal();
      dialog.querySelector("[data-abort-no]")?.focus();
    },
    true
  );

  if (dialog) {
    dialog.querySelector("[data-abort-yes]")?.addEventListener("click", () => {
      const button = pendingAbort;
      pendingAbort = null;
      dialog.close();
      if (!button || !button.isConnected) return;
      const confirm = button.form.querySelector('input[name="confirm"]');
      confirm.value = "yes";
      button.click();
      confirm.value = "";
    });
    dialog.querySelector("[data-abort-no]")?.addEventListener("click", () => {
      pendingAbort = null;
      dialog.close();
    });
  }

  // ---------------------------------------------------------------------
  // The live run page.
  // ---------------------------------------------------------------------

  const root = document.querySelector("[data-run-root]");
  if (!root) return;
  const log = document.getElementById("run-log");
  const liveState = document.getElementById("run-live-state");
  const panelsUrl = root.dataset.panelsUrl || "";
  if (log) log.scrollTop = log.scrollHeight;
  const panels = () => document.getElementById("run-panels");

  const REFRESH_ON = new Set([
    "awaiting_input",
    "input_received",
    "paused",
    "resumed",
    "run_finished",
    "verdict",
    "state_completed",
    "pause_requested",
    "abort_requested",
    "circuit_break",
    "hard_limit",
  ]);

  const pad = (n) => String(n).padStart(2, "0");
  const clock = (iso) => {
    const d = iso ? new Date(iso) : new Date();
    if (Number.isNaN(d.getTime())) return "";
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  };

  const appendLine = (id, kind, data) => {
    if (!log) return;
    if (id && log.querySelector(`li[data-event-id="${CSS.escape(id)}"]`)) return;
    const li = document.createElement("li");
    if (id) li.dataset.eventId = id;
    li.dataset.kind = kind;
    const time = document.createElement("time");
    if (data.at) time.setAttribute("datetime", data.at);
    time.textContent = clock(data.at);
    const text = document.createElement("span");
    text.className = "run-log-text";
    text.textContent = typeof data.text === "string" ? data.text : kind;
    li.append(time, " ", text);
    // Follow the newest line unless the reader has scrolled up to look at older ones.
    const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.appendChild(li);
    document.getElementById("run-log-empty")?.remove();
    if (atEnd) log.scrollTop = log.scrollHeight;
  };

  const setActive = (state) => {
    if (typeof state !== "string" || !state) return;
    const box = panels();
    if (!box) return;
    box.querySelectorAll(".run-node").forEach((node) => {
      const here = node.dataset.state === state;
      node.classList.toggle("active", here);
      if (here) node.classList.add("visited");
    });
    box.querySelectorAll("[data-run-current]").forEach((el) => {
      el.textContent = state;
    });
    box.dataset.current = state;
  };

  const money = (micros) => {
    const usd = micros / 1e6;
    return micros > 0 && micros < 10000 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
  };

  const addToMeter = (data) => {
    const box = panels();
    if (!box) return;
    const tokens = box.querySelector("[data-meter-tokens]");
    const used = (Number(data.input_tokens) || 0) + (Number(data.output_tokens) || 0);
    if (tokens) {
      const total = (Number(tokens.dataset.value) || 0) + used;
      tokens.dataset.value = String(total);
      tokens.textContent = total.toLocaleString("en-US");
    }
    const cost = box.querySelector("[data-meter-cost]");
    if (cost) {
      const total = (Number(cost.dataset.value) || 0) + Math.round((Number(data.cost_usd) || 0) * 1e6);
      cost.dataset.value = String(total);
      cost.textContent = money(total);
    }
  };

  const tickElapsed = () => {
    const el = panels()?.querySelector("[data-meter-elapsed]");
    if (!el || Number(el.dataset.finished) > 0) return;
    const started = Number(el.dataset.started) || 0;
    if (!started) return;
    const s = Math.max(0, Math.floor((Date.now() - started) / 1000));
    el.textContent =
      s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${pad(s % 60)}s` : `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  };
  window.setInterval(tickElapsed, 1000);

  // Keep open <details> open across a refresh of the panels.
  let openIds = [];
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!(target instanceof Element) || target.id !== "run-panels") return;
    openIds = Array.from(target.querySelectorAll("details[open][id]")).map((d) => d.id);
    // A refused action (409, 400, 402) still brings panels that say why.
    if ([400, 402, 409].includes(event.detail.xhr.status)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.body.addEventListener("htmx:afterSettle", () => {
    openIds.forEach((id) => document.getElementById(id)?.setAttribute("open", ""));
    openIds = [];
    // The stream is not closed here even when the panels say the run has ended: its last
    // events (the closing line of the log) may still be on their way. The server ends the
    // stream after `run_finished`, and answers a reconnect with 204, which stops it for good.
  });

  let refreshing = false;
  let again = false;
  const refresh = () => {
    if (!panelsUrl || !window.htmx) return;
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    const done = () => {
      refreshing = false;
      if (again) {
        again = false;
        refresh();
      }
    };
    window.htmx
      .ajax("GET", panelsUrl, { target: "#run-panels", swap: "outerHTML" })
      .then(done, done);
  };

  let source = null;
  const stop = () => {
    if (source) {
      source.close();
      source = null;
    }
    if (liveState) liveState.textContent = "";
  };

  const KINDS = [
    "run_started",
    "state_entered",
    "agent_started",
    "agent_finished",
    "agent_failed",
    "verdict",
    "state_completed",
    "transition",
    "circuit_break",
    "circuit_break_auto_skip",
    "hard_limit",
    "awaiting_input",
    "input_received",
    "pause_requested",
    "paused",
    "resumed",
    "abort_requested",
    "run_finished",
  ];

  const onEvent = (event) => {
    let data = {};
    try {
      data = JSON.parse(event.data || "{}") || {};
    } catch {
      data = {};
    }
    const kind = event.type;
    appendLine(event.lastEventId, kind, data);
    if (kind === "state_entered") setActive(data.state);
    if (kind === "transition") setActive(data.to);
    if (kind === "agent_finished") addToMeter(data);
    if (REFRESH_ON.has(kind)) refresh();
    if (kind === "run_finished") stop();
  };

  const start = () => {
    const url = root.dataset.eventsUrl;
    if (!url || typeof EventSource === "undefined") return;
    if (panels()?.dataset.live !== "1") return;
    source = new EventSource(url);
    KINDS.forEach((k) => source.addEventListener(k, onEvent));
    source.addEventListener("open", () => {
      if (liveState) liveState.textContent = "Live";
    });
    source.addEventListener("error", () => {
      if (liveState) liveState.textContent = source ? "Reconnecting\u2026" : "";
    });
  };

  start();
})();

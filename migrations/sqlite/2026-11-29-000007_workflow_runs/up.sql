-- The synced workflow file itself, so a run uses exactly what `workflows sync` validated.
ALTER TABLE workflow_configs ADD COLUMN yaml TEXT NOT NULL DEFAULT '';

-- Workflow runs: one row per run with its saved machine state, every output the agents wrote,
-- per-state/per-agent metrics, and the event log the live page streams. All tenant-scoped.

CREATE TABLE workflow_runs (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    started_by TEXT NOT NULL REFERENCES users(id),
    post_id TEXT REFERENCES posts(id) ON DELETE SET NULL,
    config_slug TEXT NOT NULL,
    config_name TEXT NOT NULL,
    -- The workflow as it was when the run started, so a resumed run follows the same graph.
    config_yaml TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    overlay TEXT NOT NULL DEFAULT 'standard' CHECK (overlay IN ('standard', 'premium')),
    voice TEXT,
    title TEXT NOT NULL,
    story TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'awaiting_input', 'paused', 'complete', 'halted', 'failed', 'aborted')),
    -- A pause or abort asked for by a person, applied at the next state boundary.
    control TEXT CHECK (control IN ('pause', 'abort')),
    current_state TEXT NOT NULL,
    final_state TEXT,
    -- Completed state executions; a step job only applies if it is still the next one.
    step INTEGER NOT NULL DEFAULT 0,
    machine TEXT NOT NULL,
    pending_input TEXT,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cost_micros BIGINT NOT NULL DEFAULT 0,
    active_ms BIGINT NOT NULL DEFAULT 0,
    credits_reserved BIGINT NOT NULL DEFAULT 0,
    credits_used BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_workflow_runs_workspace ON workflow_runs(workspace_id, started_at);
CREATE INDEX ix_workflow_runs_status ON workflow_runs(workspace_id, status);

CREATE TABLE workflow_outputs (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    state_name TEXT NOT NULL,
    agent TEXT NOT NULL,
    output_type TEXT NOT NULL,
    content TEXT NOT NULL,
    score INTEGER,
    decision TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (run_id, step, agent)
);
CREATE INDEX ix_workflow_outputs_run ON workflow_outputs(run_id, step);

CREATE TABLE workflow_state_metrics (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    state_name TEXT NOT NULL,
    agent TEXT NOT NULL,
    model TEXT NOT NULL,
    success BOOLEAN NOT NULL,
    error TEXT,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (run_id, step, agent)
);
CREATE INDEX ix_workflow_state_metrics_run ON workflow_state_metrics(run_id);

CREATE TABLE workflow_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_workflow_events_run ON workflow_events(run_id, id);

-- Multi-stage approvals: ordered stages per workspace, one request per (post, stage) review
-- round, and the discussion on each request. A request keeps its stage's name so that its
-- history still reads correctly after the stage is renamed or deleted.
CREATE TABLE approval_stages (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    is_required BOOLEAN NOT NULL DEFAULT TRUE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    approver_role TEXT NOT NULL DEFAULT 'editor' CHECK (approver_role IN ('owner', 'admin', 'editor', 'viewer')),
    allow_self_approval BOOLEAN NOT NULL DEFAULT FALSE,
    created_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_approval_stages_position ON approval_stages(workspace_id, position);

CREATE TABLE approval_requests (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    post_id TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    stage_id TEXT REFERENCES approval_stages(id) ON DELETE SET NULL,
    stage_name TEXT NOT NULL,
    submitted_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    decided_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'changes_requested', 'withdrawn')),
    content_version INTEGER NOT NULL DEFAULT 1,
    decision_note TEXT NOT NULL DEFAULT '',
    submitted_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    -- Set when approvers were reminded of the waiting request, so that happens once.
    reminded_at TIMESTAMP
);
CREATE INDEX ix_approval_requests_status ON approval_requests(workspace_id, status, submitted_at);
CREATE INDEX ix_approval_requests_post ON approval_requests(workspace_id, post_id, submitted_at);

CREATE TABLE approval_comments (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    request_id TEXT NOT NULL REFERENCES approval_requests(id) ON DELETE CASCADE,
    author_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    is_internal BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_approval_comments_request ON approval_comments(workspace_id, request_id, created_at);

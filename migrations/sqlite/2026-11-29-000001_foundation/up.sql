-- Foundation: identity, workspaces, sessions, tokens, audit, jobs.
-- IDs are UUIDv4 text; times are naive UTC written by the application.

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    system_role TEXT NOT NULL DEFAULT 'user' CHECK (system_role IN ('owner', 'admin', 'user')),
    theme TEXT NOT NULL DEFAULT 'system' CHECK (theme IN ('light', 'dark', 'system')),
    default_workspace_id TEXT REFERENCES workspaces(id) ON DELETE SET NULL,
    email_verified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    description TEXT,
    owner_id TEXT NOT NULL REFERENCES users(id),
    settings TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_workspaces_owner_id ON workspaces(owner_id);
CREATE INDEX ix_users_default_workspace_id ON users(default_workspace_id);

CREATE TABLE workspace_memberships (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    invite_status TEXT NOT NULL CHECK (invite_status IN ('pending', 'accepted', 'expired', 'revoked')),
    invite_token_hash TEXT UNIQUE,
    invite_expires_at TIMESTAMP,
    invited_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    invited_at TIMESTAMP,
    accepted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_memberships_workspace_user ON workspace_memberships(workspace_id, user_id);
CREATE UNIQUE INDEX ux_memberships_workspace_email ON workspace_memberships(workspace_id, email);
CREATE INDEX ix_memberships_user_id ON workspace_memberships(user_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_agent TEXT,
    ip_address TEXT,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX ix_sessions_user_id ON sessions(user_id);

CREATE TABLE password_reset_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_password_reset_tokens_user_id ON password_reset_tokens(user_id);

CREATE TABLE auth_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('login_failed', 'reset_requested')),
    email TEXT NOT NULL,
    ip_address TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_auth_attempts_email ON auth_attempts(kind, email, created_at);
CREATE INDEX ix_auth_attempts_ip ON auth_attempts(kind, ip_address, created_at);

CREATE TABLE audit_logs (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    resource_type TEXT,
    resource_id TEXT,
    description TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    ip_address TEXT,
    user_agent TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_audit_logs_workspace_created ON audit_logs(workspace_id, created_at);
CREATE INDEX ix_audit_logs_user_created ON audit_logs(user_id, created_at);
CREATE INDEX ix_audit_logs_action ON audit_logs(action);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    run_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX ix_jobs_claim ON jobs(status, run_at);

-- A request to learn a voice profile from the workspace's writing samples, run by a job.
CREATE TABLE voice_analyses (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    requested_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    sample_count INTEGER NOT NULL,
    word_count INTEGER NOT NULL,
    voice_profile_id TEXT REFERENCES voice_profiles(id) ON DELETE SET NULL,
    error TEXT,
    agent TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX ix_voice_analyses_workspace ON voice_analyses(workspace_id, created_at);

-- The workflows this installation offers, synced from workflows/registry.yaml. Global (not per
-- workspace): every workspace picks from the same list, filtered by tier.
CREATE TABLE workflow_configs (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    config_file TEXT NOT NULL,
    environment TEXT NOT NULL CHECK (environment IN ('production', 'development', 'staging')),
    features TEXT NOT NULL DEFAULT '[]',
    tier_required TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

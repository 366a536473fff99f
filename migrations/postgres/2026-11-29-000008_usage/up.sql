-- Credits. A workspace's plan is one of the built-in tiers until billing brings its own tables;
-- each calendar month (UTC) gets one usage row whose limit is the tier's allowance when the row
-- was made; work that will cost credits reserves them first and confirms what it really used.
ALTER TABLE workspaces ADD COLUMN tier TEXT NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'base', 'pro', 'max'));

CREATE TABLE usage_periods (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    credits_used BIGINT NOT NULL DEFAULT 0,
    -- 0 means unlimited.
    credits_limit BIGINT NOT NULL,
    overage_credits BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, period_start)
);

CREATE TABLE credit_reservations (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    usage_period_id TEXT NOT NULL REFERENCES usage_periods(id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL DEFAULT 'post' CHECK (resource_type IN ('post', 'storage', 'api_call')),
    resource_id TEXT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    confirmed_amount BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'released', 'expired')),
    idempotency_key TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_credit_reservations_period ON credit_reservations(usage_period_id, status);
CREATE INDEX ix_credit_reservations_workspace ON credit_reservations(workspace_id, status, expires_at);

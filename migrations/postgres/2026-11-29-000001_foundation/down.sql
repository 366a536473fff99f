DROP TABLE jobs;
DROP TABLE audit_logs;
DROP TABLE auth_attempts;
DROP TABLE password_reset_tokens;
DROP TABLE sessions;
DROP TABLE workspace_memberships;
ALTER TABLE users DROP CONSTRAINT fk_users_default_workspace;
DROP TABLE workspaces;
DROP TABLE users;

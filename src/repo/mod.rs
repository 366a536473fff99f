//! Queries, one module per table. Tenant-scoped tables take `&Tenant` first; the few global
//! lookups (users, slugs, the membership list of the signed-in user) say so in their names.

pub mod approvals;
pub mod audit_logs;
pub mod board;
pub mod chapters;
pub mod goals;
pub mod memberships;
pub mod notifications;
pub mod post_history;
pub mod post_versions;
pub mod posts;
pub mod publications;
pub mod reset_tokens;
pub mod runs;
pub mod users;
pub mod voice;
pub mod voice_profiles;
pub mod workflow_configs;
pub mod workspace_events;
pub mod workspaces;

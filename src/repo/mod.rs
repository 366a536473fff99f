//! Queries, one module per table. Tenant-scoped tables take `&Tenant` first; the few global
//! lookups (users, slugs, the membership list of the signed-in user) say so in their names.

pub mod audit_logs;
pub mod chapters;
pub mod memberships;
pub mod post_history;
pub mod post_versions;
pub mod posts;
pub mod reset_tokens;
pub mod users;
pub mod workspace_events;
pub mod workspaces;

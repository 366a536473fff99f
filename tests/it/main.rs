//! Integration tests: the real app on an ephemeral port, over HTTP, against SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL.

mod support;

mod account;
mod agents;
mod approvals;
mod auth;
mod board;
mod browser;
mod browser_approvals;
mod browser_board;
mod browser_notifications;
mod browser_post;
mod browser_strategy;
mod browser_team;
mod cli;
mod email;
mod finished;
mod import_export;
mod migrations;
mod notifications;
mod ops;
mod posts;
mod security;
mod strategy;
mod team;
mod voice;
mod workflow_config;
mod workspaces;

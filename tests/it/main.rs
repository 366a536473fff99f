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
mod browser_runs;
mod browser_strategy;
mod browser_team;
mod cli;
mod email;
mod fake_llm_selftest;
mod finished;
mod import_export;
mod migrations;
mod notifications;
mod ops;
mod posts;
mod runs_engine;
mod runs_web;
mod security;
mod strategy;
mod team;
mod usage;
mod voice;
mod workflow_config;
mod workspaces;

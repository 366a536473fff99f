//! Integration tests: the real app on an ephemeral port, over HTTP, against SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL.

mod support;

mod account;
mod auth;
mod board;
mod browser;
mod cli;
mod email;
mod migrations;
mod ops;
mod posts;
mod security;
mod strategy;
mod workspaces;

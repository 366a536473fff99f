//! Postmagiq: turn a raw story into a finished LinkedIn post in your own voice.
//!
//! The crate is the whole app; `main.rs` is only the command line. Integration tests start it
//! through [`app::start`].

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod jobs;
pub mod model;
pub mod repo;
pub mod service;
pub mod telemetry;
pub mod web;
pub mod workflow;

/// One TLS crypto provider (ring) for every rustls user in the process.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

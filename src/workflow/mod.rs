//! The agent workflow engine: the provider adapters every AI feature calls, and the workflow
//! configuration they run under.

pub mod agents;
pub mod config;
pub mod engine;
pub mod machine;
pub mod prompt;

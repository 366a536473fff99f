//! The agent workflow engine. For now: the provider adapters every AI feature calls.

pub mod agents;

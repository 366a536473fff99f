//! Domain logic per area. Functions take a connection (inside the caller's transaction) and
//! return domain errors that handlers turn into messages.

pub mod accounts;
pub mod approvals;
pub mod audit;
pub mod demo;
pub mod email;
pub mod events;
pub mod import;
pub mod notify;
pub mod posts;
pub mod publishing;
pub mod runs;
pub mod strategy;
pub mod team;
pub mod usage;
pub mod voice;
pub mod workspaces;

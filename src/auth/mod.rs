//! Passwords, sessions, CSRF, roles and scopes, and the extractors that enforce them.

pub mod csrf;
pub mod extract;
pub mod passwords;
pub mod scopes;
pub mod session;
pub mod tenant;
pub mod throttle;
pub mod tokens;

pub use extract::{AuthUser, MaybeUser, Member};
pub use scopes::{need, AnyMember, Scope};
pub use tenant::Tenant;

//! One-shot messages carried across a redirect in the session cookie.

use actix_session::Session;
use serde::{Deserialize, Serialize};

const KEY: &str = "flash";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: String,
    pub message: String,
}

pub fn success(session: &Session, message: impl Into<String>) {
    set(session, "success", message.into());
}

pub fn error(session: &Session, message: impl Into<String>) {
    set(session, "error", message.into());
}

pub fn info(session: &Session, message: impl Into<String>) {
    set(session, "info", message.into());
}

fn set(session: &Session, kind: &str, message: String) {
    let _ = session.insert(
        KEY,
        Flash {
            kind: kind.into(),
            message,
        },
    );
}

pub fn take(session: &Session) -> Option<Flash> {
    let flash = session.get::<Flash>(KEY).ok().flatten();
    if flash.is_some() {
        session.remove(KEY);
    }
    flash
}

//! Outgoing email. Handlers render a message and enqueue it in the same transaction as the
//! change it reports; a job worker sends it with retries. With `SMTP_URL` unset the message is
//! written to `data/outbox/` as an `.eml` file and logged, so development needs no mail server.

pub mod templates;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::db::DbConn;
use crate::jobs::{self, JobKind};
use crate::model::JobId;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Queues the email for the workers. Part of the caller's transaction.
pub fn enqueue(conn: &mut DbConn, email: &Email) -> diesel::QueryResult<JobId> {
    let payload = serde_json::to_string(email)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    jobs::queue::enqueue(conn, JobKind::SendEmail, &payload)
}

enum Delivery {
    Smtp(SmtpTransport),
    Outbox(FileTransport, PathBuf),
}

pub struct Mailer {
    transport: Delivery,
    from: Mailbox,
}

/// Why a send failed, and whether trying again may help.
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    pub permanent: bool,
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Mailer, String> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| format!("MAIL_FROM: {e}"))?;
        let transport = match &config.smtp_url {
            Some(url) => Delivery::Smtp(
                SmtpTransport::from_url(url)
                    .map_err(|e| format!("SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(15)))
                    .build(),
            ),
            None => {
                let dir = config.outbox_dir();
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Delivery::Outbox(FileTransport::new(&dir), dir)
            }
        };
        Ok(Mailer { transport, from })
    }

    pub fn send(&self, email: &Email) -> Result<(), SendError> {
        let to: Mailbox = match &email.to_name {
            Some(name) => format!("{} <{}>", name.replace(['<', '>', '"'], ""), email.to).parse(),
            None => email.to.parse(),
        }
        .map_err(|e| SendError {
            message: format!("bad recipient {:?}: {e}", email.to),
            permanent: true,
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError {
                message: format!("cannot build message: {e}"),
                permanent: true,
            })?;
        match &self.transport {
            Delivery::Smtp(smtp) => smtp
                .send(&message)
                .map(|_| tracing::info!(to = %email.to, subject = %email.subject, "email sent"))
                .map_err(|e| SendError {
                    permanent: e.is_permanent(),
                    message: format!("SMTP: {e}"),
                }),
            Delivery::Outbox(file, dir) => file
                .send(&message)
                .map(|id| {
                    tracing::info!(
                        to = %email.to,
                        subject = %email.subject,
                        file = %dir.join(format!("{id}.eml")).display(),
                        "email written to outbox (SMTP_URL is not set)"
                    )
                })
                .map_err(|e| SendError {
                    message: format!("outbox: {e}"),
                    permanent: false,
                }),
        }
    }
}

//! Configuration from the environment, read once at start and validated. A bad value stops
//! start-up with a message that names the variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentEnv {
    Development,
    Staging,
    Production,
}

impl DeploymentEnv {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentEnv::Development => "development",
            DeploymentEnv::Staging => "staging",
            DeploymentEnv::Production => "production",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub public_url: String,
    pub secret_key: Vec<u8>,
    pub data_dir: PathBuf,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub deployment_env: DeploymentEnv,
    pub workers: usize,
    pub log_format: LogFormat,
    pub bcrypt_cost: u32,
    /// How often an idle worker looks for due jobs.
    pub job_poll_ms: u64,
    /// How long a job's worker may go silent before another takes it over (JOB_LEASE_SECS).
    pub job_lease_secs: u64,
    /// The AI provider for workspace features (voice analysis), if one is configured.
    pub agent: Option<crate::workflow::agents::ProviderConfig>,
    /// Every provider's base URL and key, for the agents workflows define.
    pub providers: crate::workflow::agents::Providers,
}

impl std::fmt::Debug for Config {
    // The secret key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("data_dir", &self.data_dir)
            .field("smtp", &self.smtp_url.as_deref().map(redact_url))
            .field("deployment_env", &self.deployment_env)
            .field("workers", &self.workers)
            .field("agent", &self.agent)
            .field("providers", &self.providers)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

/// Reads variables through a lookup function so tests can supply their own environment.
pub struct EnvSource<F: Fn(&str) -> Option<String>>(pub F);

impl<F: Fn(&str) -> Option<String>> EnvSource<F> {
    fn get(&self, key: &str) -> Option<String> {
        (self.0)(key).filter(|v| !v.trim().is_empty())
    }
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_source(&EnvSource(|k| std::env::var(k).ok()))
    }

    pub fn from_source<F: Fn(&str) -> Option<String>>(
        env: &EnvSource<F>,
    ) -> Result<Config, ConfigError> {
        let deployment_env = match env.get("DEPLOYMENT_ENV").as_deref() {
            None | Some("development") => DeploymentEnv::Development,
            Some("staging") => DeploymentEnv::Staging,
            Some("production") => DeploymentEnv::Production,
            Some(other) => {
                return Err(err(
                    "DEPLOYMENT_ENV",
                    format!("must be development, staging or production, not {other:?}"),
                ))
            }
        };
        let data_dir = PathBuf::from(env.get("DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = env
            .get("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("postmagiq.db").display()));
        if database_url.contains("://")
            && !["sqlite://", "postgres://", "postgresql://"]
                .iter()
                .any(|p| database_url.starts_with(p))
        {
            return Err(err(
                "DATABASE_URL",
                "must start with sqlite://, postgres:// or postgresql://",
            ));
        }
        let bind: SocketAddr = env
            .get("BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .map_err(|e| {
                err(
                    "BIND",
                    format!("must be host:port, e.g. 127.0.0.1:8080 ({e})"),
                )
            })?;
        let public_url = env
            .get("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(err("PUBLIC_URL", "must start with http:// or https://"));
        }
        let secret_key = match env.get("SECRET_KEY") {
            Some(k) if k.len() >= 64 => k.into_bytes(),
            Some(_) => return Err(err("SECRET_KEY", "must be at least 64 characters")),
            None if deployment_env == DeploymentEnv::Development => {
                load_or_create_secret(&data_dir).map_err(|e| err("SECRET_KEY", e))?
            }
            None => {
                return Err(err(
                    "SECRET_KEY",
                    "is required outside development (64+ random characters)",
                ))
            }
        };
        let smtp_url = env.get("SMTP_URL");
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(err("SMTP_URL", "must start with smtp:// or smtps://"));
            }
        }
        let mail_from = env
            .get("MAIL_FROM")
            .unwrap_or_else(|| "Postmagiq <no-reply@localhost>".into());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(err(
                "MAIL_FROM",
                "must be an address like \"Postmagiq <no-reply@example.com>\"",
            ));
        }
        let workers = match env.get("WORKERS") {
            // Workers mostly wait on LLM providers and SMTP, so more threads than cores pay off.
            None => std::thread::available_parallelism()
                .map(|n| (n.get() * 2).max(4))
                .unwrap_or(4),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=256).contains(&n) => n,
                _ => return Err(err("WORKERS", "must be a whole number from 1 to 256")),
            },
        };
        let log_format = match env.get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(err("LOG_FORMAT", "must be text or json")),
        };
        let bcrypt_cost = match env.get("BCRYPT_COST") {
            None => 12,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (4..=31).contains(&n) => n,
                _ => return Err(err("BCRYPT_COST", "must be a whole number from 4 to 31")),
            },
        };
        if bcrypt_cost < 12 && deployment_env == DeploymentEnv::Production {
            return Err(err("BCRYPT_COST", "must be at least 12 in production"));
        }
        for var in [
            "ANTHROPIC_BASE_URL",
            "OPENAI_BASE_URL",
            "GROQ_BASE_URL",
            "GEMINI_BASE_URL",
            "OLLAMA_URL",
        ] {
            if let Some(url) = env.get(var) {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(err(var, "must start with http:// or https://"));
                }
            }
        }
        let job_lease_secs = match env.get("JOB_LEASE_SECS") {
            None => 300,
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (1..=86_400).contains(&n) => n,
                _ => {
                    return Err(err(
                        "JOB_LEASE_SECS",
                        "must be a whole number of seconds from 1 to 86400",
                    ))
                }
            },
        };
        let agent = crate::workflow::agents::ProviderConfig::from_env(|k| env.get(k));
        let providers = crate::workflow::agents::Providers::from_env(|k| env.get(k));
        Ok(Config {
            database_url,
            bind,
            public_url,
            secret_key,
            data_dir,
            smtp_url,
            mail_from,
            deployment_env,
            workers,
            log_format,
            bcrypt_cost,
            job_poll_ms: 500,
            job_lease_secs,
            agent,
            providers,
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

/// In development the key is generated once and kept in the data folder, so sessions
/// survive restarts without any set-up.
fn load_or_create_secret(data_dir: &Path) -> Result<Vec<u8>, String> {
    let path = data_dir.join("secret.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if existing.len() >= 64 {
            return Ok(existing.into_bytes());
        }
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let key = crate::auth::tokens::random_token(48);
    std::fs::write(&path, &key).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(key.into_bytes())
}

/// Hides the password part of a URL for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_source(&EnvSource(move |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        }))
    }

    const KEY: &str = "0123456789012345678901234567890123456789012345678901234567890123";

    #[test]
    fn bad_bind_names_the_variable() {
        let e = cfg(&[("BIND", "nope"), ("SECRET_KEY", KEY)]).unwrap_err();
        assert_eq!(e.var, "BIND");
    }

    #[test]
    fn production_requires_secret_key() {
        let e = cfg(&[("DEPLOYMENT_ENV", "production")]).unwrap_err();
        assert_eq!(e.var, "SECRET_KEY");
    }

    #[test]
    fn unknown_database_scheme_is_refused() {
        let e = cfg(&[("DATABASE_URL", "mysql://x"), ("SECRET_KEY", KEY)]).unwrap_err();
        assert_eq!(e.var, "DATABASE_URL");
    }

    #[test]
    fn defaults_are_sqlite_and_local_bind() {
        let c = cfg(&[("SECRET_KEY", KEY)]).unwrap();
        assert_eq!(c.database_url, "sqlite://data/postmagiq.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert!(!c.secure_cookies());
    }

    #[test]
    fn password_in_url_is_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
    }
}

//! `TestApp` starts the real app; `Client` is one browser-like session against it.

pub mod db;
pub mod fake_llm;
pub mod smtp;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use postmagiq::config::{Config, DeploymentEnv, LogFormat};
use postmagiq::db::{DbPool, PooledConn};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub pool: DbPool,
    pub outbox: PathBuf,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    database: db::TestDatabase,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// Starts the app with a test configuration that `tweak` may change.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        postmagiq::install_crypto_provider();
        let dir = tempfile::tempdir().expect("temp dir");
        let database = db::TestDatabase::create(dir.path());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config {
            database_url: database.url.clone(),
            bind: addr,
            public_url: format!("http://{addr}"),
            secret_key: postmagiq::auth::tokens::random_token(40).into_bytes(),
            data_dir: dir.path().to_path_buf(),
            smtp_url: None,
            mail_from: "Postmagiq <no-reply@postmagiq.test>".into(),
            deployment_env: DeploymentEnv::Development,
            workers: 1,
            log_format: LogFormat::Text,
            bcrypt_cost: 4,
            job_poll_ms: 25,
            job_lease_secs: 300,
            agent: None,
            providers: Default::default(),
        };
        tweak(&mut config);
        let outbox = config.outbox_dir();
        let pool = postmagiq::app::open_database(&config).expect("open database");
        let (tx, rx) = std::sync::mpsc::channel();
        let server_pool = pool.clone();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let running =
                    postmagiq::app::start(config, server_pool, listener).expect("start app");
                tx.send(running.server.handle()).expect("send handle");
                let _ = running.server.await;
                running.workers.shutdown();
            });
        });
        let handle = rx.recv().expect("server handle");
        TestApp {
            base: format!("http://{addr}"),
            pool,
            outbox,
            handle,
            thread: Some(thread),
            database,
            _dir: dir,
        }
    }

    /// A new browser-like client with its own cookie jar.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// The test database's URL, for a second process sharing it.
    pub fn database_url(&self) -> &str {
        &self.database.url
    }

    pub fn conn(&self) -> PooledConn {
        self.pool.get().expect("db connection")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Every message written to the outbox so far, parsed.
    pub fn outbox_messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.outbox) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| std::fs::read(e.path()).ok())
            .collect::<Vec<_>>()
            .iter()
            .map(|raw| email_text(raw))
            .collect()
    }

    /// Waits (up to 10 s) for an outbox email to `to` whose text contains `needle`.
    pub async fn wait_for_email(&self, to: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(m) = self
                .outbox_messages()
                .into_iter()
                .find(|m| m.contains(to) && m.contains(needle))
            {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no email to {to} containing {needle:?}; outbox: {:?}",
                self.outbox_messages()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // stop() sends the command at once; waiting for it is not needed.
        drop(self.handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.database.drop_database();
    }
}

/// Headers and plain-text body of a raw email, decoded.
pub fn email_text(raw: &[u8]) -> String {
    let Some(msg) = mail_parser::MessageParser::default().parse(raw) else {
        return String::from_utf8_lossy(raw).into_owned();
    };
    let to = msg
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_string();
    let subject = msg.subject().unwrap_or_default().to_string();
    let text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let html = msg.body_html(0).map(|t| t.into_owned()).unwrap_or_default();
    format!("To: {to}\nSubject: {subject}\n\n{text}\n\n--html--\n{html}")
}

/// The reset link token in an email.
pub fn reset_token_in(email: &str) -> String {
    let start = email.find("/auth/reset/").expect("reset link in email") + "/auth/reset/".len();
    email[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    csrf: Mutex<Option<String>>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let jar = Arc::new(Jar::default());
        Client {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(Policy::none())
                .user_agent("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0 postmagiq-tests")
                .build()
                .expect("http client"),
            jar,
            csrf: Mutex::new(None),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// GET and read the body, remembering the page's CSRF token.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        let body = res.text().await.expect("body");
        if let Some(t) = csrf_in(&body) {
            *self.csrf.lock().expect("lock") = Some(t);
        }
        (status, body)
    }

    /// The session's CSRF token, loading a page for it when none is known yet.
    pub async fn csrf(&self) -> String {
        if let Some(t) = self.csrf.lock().expect("lock").clone() {
            return t;
        }
        let (_, body) = self.page("/legal/terms").await;
        csrf_in(&body).expect("csrf token on page")
    }

    /// Forgets the known CSRF token (after sign-in it changes).
    pub fn reset_csrf(&self) {
        *self.csrf.lock().expect("lock") = None;
    }

    /// POST a form with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", token.as_str()));
        let res = self
            .http
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("POST");
        res
    }

    /// POST a form without any CSRF token.
    pub async fn post_without_csrf(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    pub async fn register(&self, name: &str, email: &str) -> Response {
        let res = self
            .post(
                "/auth/register",
                &[
                    ("name", name),
                    ("email", email),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        self.reset_csrf();
        res
    }

    /// Registers and returns the slug of the personal workspace.
    pub async fn signup(&self, name: &str, email: &str) -> String {
        let res = self.register(name, email).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "register should redirect"
        );
        location(&res)
            .strip_prefix("/w/")
            .expect("redirect to a workspace")
            .to_string()
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        let res = self
            .post("/auth/login", &[("email", email), ("password", password)])
            .await;
        self.reset_csrf();
        res
    }

    pub async fn logout(&self) -> Response {
        let res = self.post("/auth/logout", &[]).await;
        self.reset_csrf();
        res
    }

    /// The Cookie header this client would send.
    pub fn cookie_header(&self) -> String {
        let url = self.base.parse().expect("url");
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    }
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub fn csrf_in(body: &str) -> Option<String> {
    let marker = "\"X-CSRF-Token\": \"";
    let start = body.find(marker)? + marker.len();
    Some(
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect(),
    )
}

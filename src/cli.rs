//! The command line: `serve` (the default), `migrate`, `admin`, `workflows`, `workflow` and
//! the hidden `bench`.

mod bench;
mod workflow_run;

use std::io::{BufRead, IsTerminal};
use std::net::TcpListener;

use clap::{Args, Parser, Subcommand};

use crate::app;
use crate::auth::passwords;
use crate::config::Config;
use crate::db;
use crate::service::accounts::{self, RegisterError};
use crate::service::audit::Actor;
use crate::web::forms;

#[derive(Parser, Debug)]
#[command(
    name = "postmagiq",
    version,
    about = "Postmagiq: turn a raw story into a finished LinkedIn post in your own voice.",
    long_about = "Postmagiq web app and operator commands.\n\nConfiguration comes from environment \
                  variables (see .env.example). With no DATABASE_URL the app uses \
                  sqlite://data/postmagiq.db, created and migrated on first start."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app (the default). Applies pending migrations first.
    Serve,
    /// Apply pending migrations, revert the last one, or list them.
    Migrate(MigrateArgs),
    /// Operator tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check workflow files and load the registry into the database.
    #[command(subcommand)]
    Workflows(WorkflowsCommand),
    /// Run a workflow from the terminal.
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// Measurements for developers.
    #[command(subcommand, hide = true)]
    Bench(BenchCommand),
}

#[derive(Subcommand, Debug)]
pub enum WorkflowCommand {
    /// Start a run on a story and drive it here: every event is printed as it happens, and
    /// when the run waits for you, what it waits on is shown and one line is read from
    /// standard input (yes to approve; abort, an empty line or the end of input to stop; any
    /// other text is sent as feedback). Exits with status 0 when the run completes, 1
    /// otherwise.
    Run(workflow_run::RunArgs),
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Drive N runs of the groq workflow against a fake LLM with a fixed latency, on a
    /// temporary SQLite database, and print wall time, throughput, engine overhead and peak
    /// memory.
    Engine(bench::EngineArgs),
}

#[derive(Subcommand, Debug)]
pub enum WorkflowsCommand {
    /// Check one workflow file; print every problem as `file:line: message`.
    Validate {
        /// The workflow YAML file.
        file: std::path::PathBuf,
    },
    /// Validate every workflow in the registry, then add or update them in the database by
    /// slug and disable rows the registry no longer lists. Any invalid workflow aborts the
    /// sync before anything is written.
    Sync {
        /// A `workflows/` folder on disk to read instead of the copy built into the binary.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Revert the most recently applied migration instead.
    #[arg(long, conflicts_with = "status")]
    pub revert: bool,
    /// List every migration and whether it is applied; change nothing.
    #[arg(long)]
    pub status: bool,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a user with a personal workspace. The password is read from standard input.
    CreateUser {
        /// The email address to sign in with.
        #[arg(long)]
        email: String,
        /// The display name.
        #[arg(long)]
        name: String,
        /// Make the user a system owner (operator of this installation).
        #[arg(long)]
        system_owner: bool,
    },
    /// Fill a workspace with a demo strategy and posts on every board column, for trying the
    /// app or benchmarking it. Does nothing if the workspace already has the demo strategy.
    SeedDemo {
        /// The workspace address (slug); by default the oldest workspace of the first system
        /// owner.
        #[arg(long)]
        workspace: Option<String>,
        /// How many posts to create.
        #[arg(long, default_value_t = crate::service::demo::DEFAULT_POSTS)]
        posts: usize,
    },
    /// Put a workspace on a plan (until billing does this). The current month gets the new
    /// plan's credit allowance at once; credits already used stay counted.
    SetTier {
        /// The workspace address (slug).
        #[arg(long)]
        workspace: String,
        /// The plan: free (10 credits a month), base (50), pro (200, may go over) or max
        /// (500, may go over).
        #[arg(long, value_parser = parse_tier)]
        tier: crate::model::Tier,
    },
}

fn parse_tier(s: &str) -> Result<crate::model::Tier, String> {
    let slug = s.trim().to_ascii_lowercase();
    crate::model::Tier::parse(&slug).ok_or_else(|| {
        let known: Vec<&str> = crate::model::Tier::ALL.iter().map(|t| t.slug()).collect();
        format!(
            "unknown tier \u{201c}{s}\u{201d}; use one of {}",
            known.join(", ")
        )
    })
}

/// Runs the parsed command; the error is the message to print before exiting with status 1.
pub fn run(cli: Cli, config: Config) -> Result<(), String> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate(args) => migrate(&config, args),
        Command::Admin(AdminCommand::CreateUser {
            email,
            name,
            system_owner,
        }) => create_user(&config, &email, &name, system_owner),
        Command::Admin(AdminCommand::SeedDemo { workspace, posts }) => {
            seed_demo(&config, workspace.as_deref(), posts)
        }
        Command::Admin(AdminCommand::SetTier { workspace, tier }) => {
            set_tier(&config, &workspace, tier)
        }
        Command::Workflows(WorkflowsCommand::Validate { file }) => validate_workflow(&file),
        Command::Workflows(WorkflowsCommand::Sync { dir }) => sync_workflows(&config, dir),
        Command::Workflow(WorkflowCommand::Run(args)) => workflow_run::run(&config, &args),
        Command::Bench(BenchCommand::Engine(args)) => bench::engine(&config, &args),
    }
}

fn serve(config: Config) -> Result<(), String> {
    let pool = app::open_database(&config)?;
    let listener =
        TcpListener::bind(config.bind).map_err(|e| format!("BIND {}: {e}", config.bind))?;
    tracing::info!(
        url = %config.public_url,
        database = %crate::config::redact_url(&config.database_url),
        workers = config.workers,
        env = config.deployment_env.as_str(),
        "Postmagiq is listening on http://{}", config.bind
    );
    actix_web::rt::System::new().block_on(async move {
        let running = app::start(config, pool, listener)?;
        let result = running.server.await.map_err(|e| e.to_string());
        running.workers.shutdown();
        result
    })
}

fn migrate(config: &Config, args: MigrateArgs) -> Result<(), String> {
    let mut conn = db::pool::AnyManager::new(&config.database_url)
        .connect()
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    if args.status {
        for m in db::migrations::status(&mut conn).map_err(|e| e.to_string())? {
            println!("[{}] {}", if m.applied { "x" } else { " " }, m.version);
        }
    } else if args.revert {
        let v = db::migrations::revert_last(&mut conn).map_err(|e| e.to_string())?;
        println!("Reverted {v}");
    } else {
        let applied = db::migrations::run_pending(&mut conn).map_err(|e| e.to_string())?;
        if applied.is_empty() {
            println!("No pending migrations.");
        }
        for v in applied {
            println!("Applied {v}");
        }
    }
    Ok(())
}

fn create_user(config: &Config, email: &str, name: &str, system_owner: bool) -> Result<(), String> {
    let email = forms::normalize_email(email).map_err(|e| format!("--email: {e}"))?;
    let name = forms::clean_name(name, 100, "a name").map_err(|e| format!("--name: {e}"))?;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Password (then Enter):");
    }
    let mut password = String::new();
    stdin
        .lock()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    if let Some(problem) = passwords::validate_new(password) {
        return Err(format!("password: {problem}"));
    }
    let hash = passwords::hash(password, config.bcrypt_cost).map_err(|e| e.to_string())?;
    let mut conn = app::open_connection(config)?;
    match accounts::register(&mut conn, &name, &email, &hash, system_owner, &Actor::cli())
        .map_err(|e| e.to_string())?
    {
        Ok((user, workspace)) => {
            println!(
                "Created {} ({}), system role {}, workspace /w/{}",
                user.email, user.name, user.system_role, workspace.slug
            );
            Ok(())
        }
        Err(RegisterError::EmailTaken) => Err(format!("--email: {email} already has an account")),
    }
}

fn seed_demo(config: &Config, workspace: Option<&str>, posts: usize) -> Result<(), String> {
    use crate::service::demo::{self, Seeded};
    let mut conn = app::open_connection(config)?;
    match demo::seed(&mut conn, workspace, posts).map_err(|e| e.to_string())? {
        Seeded::Created {
            workspace,
            chapters,
            posts,
        } => println!(
            "Seeded /w/{}: the strategy \u{201c}{}\u{201d} with {chapters} chapters and {posts} posts.",
            workspace.slug,
            demo::STRATEGY_NAME
        ),
        Seeded::AlreadySeeded { workspace } => println!(
            "/w/{} is already seeded (it has the strategy \u{201c}{}\u{201d}); nothing changed.",
            workspace.slug,
            demo::STRATEGY_NAME
        ),
    }
    Ok(())
}

fn set_tier(config: &Config, slug: &str, tier: crate::model::Tier) -> Result<(), String> {
    use crate::service::usage;
    let mut conn = app::open_connection(config)?;
    let change = usage::set_tier(&mut conn, slug, tier).map_err(|e| e.to_string())?;
    let b = &change.balance;
    println!(
        "/w/{} is now on {} (was {}): {} of {} credits used this month{}.",
        change.workspace.slug,
        change.new.name(),
        change.old.name(),
        b.used,
        b.limit,
        if change.new.overage_enabled() {
            ", may go over"
        } else {
            ""
        }
    );
    Ok(())
}

fn validate_workflow(file: &std::path::Path) -> Result<(), String> {
    match crate::workflow::config::validate_file(file) {
        Ok(cfg) => {
            println!(
                "{}: valid ({} states, {} agents)",
                file.display(),
                cfg.states.len(),
                cfg.agents.len()
            );
            Ok(())
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            Err(format!(
                "{} is invalid ({} found)",
                file.display(),
                plural(problems.len())
            ))
        }
    }
}

fn sync_workflows(config: &Config, dir: Option<std::path::PathBuf>) -> Result<(), String> {
    use crate::workflow::config::{self as wf, Source};
    let source = match dir {
        Some(d) => Source::Dir(d),
        None => Source::Embedded,
    };
    let (registry, loaded) = wf::load_all(&source).map_err(|problems| {
        for p in &problems {
            eprintln!("{p}");
        }
        format!(
            "sync aborted, nothing changed ({} found)",
            plural(problems.len())
        )
    })?;
    let mut conn = app::open_connection(config)?;
    let env = config.deployment_env.as_str();
    let changes = wf::sync::sync(&mut conn, &registry, &loaded, env).map_err(|e| e.to_string())?;
    for (slug, change) in &changes {
        println!("{}: {slug}", change.as_str());
    }
    let count = |c: wf::sync::Change| changes.iter().filter(|(_, x)| *x == c).count();
    println!(
        "Synced {} workflows for {env}: {} added, {} updated, {} unchanged, {} disabled.",
        loaded.len(),
        count(wf::sync::Change::Added),
        count(wf::sync::Change::Updated),
        count(wf::sync::Change::Unchanged),
        count(wf::sync::Change::Disabled)
    );
    Ok(())
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 problem".into()
    } else {
        format!("{n} problems")
    }
}

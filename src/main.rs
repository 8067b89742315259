//! The `registrar` command line: serve, migrate, seed, jobs, generate, bench, user,
//! token and audit.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use registrar::audit::Actor;
use registrar::clock::{Clock, FixedClock, SystemClock};
use registrar::config::Config;
use registrar::seed::{self, DEMO_PASSWORD, Fixture};
use registrar::{AppState, auth, build_app, db, jobs};

#[derive(Parser)]
#[command(
    name = "registrar",
    version,
    about = "Back office for connecting organisations to 1C-Reporting"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, then run the web UI, the API and the job scheduler.
    Serve {
        /// Load the reference data and the demo users first, and print the demo logins.
        #[arg(long)]
        demo: bool,
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// A clock the operator may move forward (training, demos, acceptance runs):
        /// `GET`/`PUT /api/v1/test/clock`.
        #[arg(long)]
        test_clock: bool,
    },
    /// Apply the database migrations.
    Migrate,
    /// Load fixtures: the shipped reference data, or the given files.
    Seed {
        /// Also create the demo users.
        #[arg(long)]
        demo: bool,
        files: Vec<PathBuf>,
    },
    /// Jobs that act on time.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Synthetic data at scale, for benchmarks (with a progress bar).
    Generate {
        #[arg(long, default_value_t = 0)]
        applications: u64,
        /// Of the applications, how many are left due for the 30-day rule.
        #[arg(long, default_value_t = 0)]
        due: u64,
        /// Generating subscribers at scale is not supported yet; only 0 is accepted.
        #[arg(long, default_value_t = 0)]
        subscribers: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measure the product at scale beside the same SQL run raw (a fresh temporary
    /// SQLite database unless --database is given).
    Bench {
        #[arg(long, default_value_t = 1_000_000)]
        applications: u64,
        #[arg(long, default_value_t = 100_000)]
        due: u64,
        /// Applications submitted one by one through the intake use case.
        #[arg(long, default_value_t = 2_000)]
        intake: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A database URL to run on instead (it must be empty and disposable).
        #[arg(long)]
        database: Option<String>,
        /// Seconds of load per page in the HTTP section (0 leaves it out).
        #[arg(long, default_value_t = 3.0)]
        http_seconds: f64,
        /// Concurrent clients in the HTTP section.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Only the HTTP section, on the data already in --database (one an earlier
        /// bench or `generate` filled): seconds instead of minutes per measurement.
        #[arg(long, requires = "database")]
        http_only: bool,
    },
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The journal.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Authorized representatives' transactions (the reconciliation's second tab).
    UpTransactions {
        #[command(subcommand)]
        command: UpCommand,
    },
}

#[derive(Subcommand)]
enum UpCommand {
    /// Import counts from a CSV (`;`, header
    /// quarter;representative_inn;representative_kpp;client_inn;client_kpp;client_name;authority;count):
    /// all rows or none, as the operator user named.
    Import {
        file: PathBuf,
        /// The operator's login the journal names.
        #[arg(long)]
        user: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the journal's hash chain: exit 0 when intact, otherwise name the first
    /// broken row.
    Verify,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run every due job once, as of the given instant (default: now).
    Run {
        #[arg(long, value_name = "RFC3339")]
        as_of: Option<DateTime<Utc>>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input (one line, 8+ characters).
    Create {
        #[arg(long)]
        login: String,
        /// operator, sales_center, partner, identification_center or intake.
        #[arg(long)]
        role: String,
        /// Code of the partner, sales center or identification center.
        #[arg(long)]
        organisation: Option<String>,
        #[arg(long)]
        full_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API token for a user (the token alone, on one line).
    Create {
        #[arg(long)]
        user: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = auth::token::DEFAULT_DAYS, conflicts_with = "no_expiry")]
        days: i64,
        /// A token that never expires (for a trusted integration; revoke it when unused).
        #[arg(long)]
        no_expiry: bool,
    },
    /// Tokens with their owner, creation, expiry and last use (never the secret).
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by its id (from `token list`); it stops working at once.
    Revoke { id: i32 },
}

/// mimalloc instead of glibc's malloc: a registry page allocates a few thousand small
/// strings (its rows, its markup); under 16 clients glibc's allocator took a fifth of the
/// server's CPU (`perf`: `_int_malloc`, `malloc_consolidate`, `_int_free`) and kept an
/// arena per thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    registrar::server::tune_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the async runtime")
        .block_on(async_main());
}

async fn async_main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "registrar=info,tower_http=warn,sea_orm=warn,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("registrar: {e:#}");
        std::process::exit(1);
    }
}

async fn state(clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    state_with(clock, |_| {}).await
}

async fn state_with(
    clock: Arc<dyn Clock>,
    adjust: impl FnOnce(&mut Config),
) -> anyhow::Result<AppState> {
    let mut config = Config::from_env();
    adjust(&mut config);
    let db = db::open_migrated(&config.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open or migrate the database {}",
                redact(&config.database_url)
            )
        })?;
    let mailer = registrar::notify::Mailer::from_env().context("e-mail settings")?;
    Ok(AppState::new(db, clock, config, mailer))
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

async fn seed_demo(state: &AppState) -> anyhow::Result<()> {
    let fx = Fixture::combine([seed::builtin_reference()?, seed::builtin_demo()?]);
    seed::apply(&state.db, &fx, Some(DEMO_PASSWORD), state.clock.now()).await?;
    registrar::applications::demo::seed(state).await?;
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            demo,
            bind,
            test_clock,
        } => {
            let state = state_with(Arc::new(SystemClock), |c| c.test_clock = test_clock).await?;
            if test_clock {
                println!("registrar: test clock on — the operator moves it at /api/v1/test/clock");
            }
            if demo {
                seed_demo(&state).await?;
                print_demo_logins();
            }
            if state.config.scheduler {
                jobs::spawn_scheduler(state.clone(), Duration::from_secs(60));
            }
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            println!("registrar: listening on http://{bind}");
            let header_timeout = Duration::from_secs(state.config.header_timeout_secs);
            registrar::server::serve(listener, build_app(state), header_timeout, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        }
        Command::Migrate => {
            state(Arc::new(SystemClock)).await?;
            println!("migrations applied");
        }
        Command::Seed { demo, files } => {
            let state = state(Arc::new(SystemClock)).await?;
            let mut parts = Vec::new();
            if files.is_empty() {
                parts.push(seed::builtin_reference()?);
            }
            for f in &files {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read {}", f.display()))?;
                parts.push(Fixture::parse(&f.display().to_string(), &text)?);
            }
            if demo {
                parts.push(seed::builtin_demo()?);
            }
            let reports = seed::apply(
                &state.db,
                &Fixture::combine(parts),
                demo.then_some(DEMO_PASSWORD),
                state.clock.now(),
            )
            .await?;
            for r in reports {
                println!(
                    "{:<24} inserted {:>5}  updated {:>5}",
                    r.table, r.inserted, r.updated
                );
            }
            if demo {
                let n = registrar::applications::demo::seed(&state).await?;
                println!(
                    "{:<24} inserted {:>5}  updated {:>5}",
                    "demo applications", n, 0
                );
            }
        }
        Command::Jobs {
            command: JobsCommand::Run { as_of },
        } => {
            let as_of = as_of.unwrap_or_else(Utc::now);
            let state = state(Arc::new(FixedClock::new(as_of))).await?;
            let reports = jobs::run_all_for(&state, as_of, Actor::system("cli")).await?;
            println!("jobs as of {}", as_of.to_rfc3339());
            for r in reports {
                println!("{:<28} {:>6}  {}", r.job, r.processed, r.summary);
            }
        }
        Command::Generate {
            applications,
            due,
            subscribers,
            seed,
        } => {
            if subscribers > 0 {
                anyhow::bail!(
                    "--subscribers is not supported yet: only applications are generated"
                );
            }
            let state = state(Arc::new(SystemClock)).await?;
            seed_demo(&state).await?;
            let pb = indicatif::ProgressBar::new(applications);
            pb.set_style(
                indicatif::ProgressStyle::with_template(
                    "applications [{bar:40}] {pos}/{len} {per_sec} eta {eta}",
                )?
                .progress_chars("=> "),
            );
            let started = std::time::Instant::now();
            let plan = registrar::applications::generate::Plan {
                applications,
                due: due.min(applications),
                seed,
                now: state.clock.now(),
            };
            let n = registrar::applications::generate::applications(&state.db, plan, |w| {
                pb.set_position(w)
            })
            .await?;
            pb.finish_and_clear();
            let mut w = registrar::audit::Write::begin(
                &state.db,
                Actor::system("generate"),
                state.clock.now(),
            )
            .await?;
            w.record(
                registrar::audit::Change::new("generate.applications", "application", "*")
                    .after(serde_json::json!({"count": n, "seed": seed})),
            );
            w.commit().await?;
            println!(
                "generated {n} applications in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Bench {
            applications,
            due,
            intake,
            seed,
            database,
            http_seconds,
            clients,
            http_only,
        } => {
            let dir = tempfile::tempdir()?;
            let url = database.unwrap_or_else(|| {
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("bench.db").display()
                )
            });
            let config = Config {
                database_url: url.clone(),
                scheduler: false,
                documents_dir: dir.path().join("documents"),
                ..Config::from_env()
            };
            let db = db::open_migrated(&url).await?;
            let state = AppState::new(
                db,
                Arc::new(SystemClock),
                config,
                registrar::notify::Mailer {
                    from: "bench@registrar.example".parse()?,
                    transport: registrar::notify::mailer::Transport::Log,
                },
            );
            seed::apply(
                &state.db,
                &Fixture::combine([seed::builtin_reference()?, seed::builtin_demo()?]),
                Some(DEMO_PASSWORD),
                state.clock.now(),
            )
            .await?;
            let opts = registrar::bench::Options {
                applications,
                due: due.min(applications),
                intake_samples: intake,
                seed,
            };
            if !http_only {
                let lines = registrar::bench::run(&state, opts).await?;
                let backend = if url.starts_with("postgres") {
                    "PostgreSQL"
                } else {
                    "SQLite (WAL)"
                };
                println!(
                    "{}",
                    registrar::bench::render(&lines, backend, applications)
                );
            }
            if http_seconds > 0.0 {
                let (figures, memory) =
                    registrar::bench::http::run(&state, "ладога-12", clients.max(1), http_seconds)
                        .await?;
                println!(
                    "{}",
                    registrar::bench::http::render(&figures, clients.max(1), memory)
                );
            }
        }
        Command::User {
            command:
                UserCommand::Create {
                    login,
                    role,
                    organisation,
                    full_name,
                },
        } => {
            let state = state(Arc::new(SystemClock)).await?;
            let mut password = String::new();
            if role != "intake" {
                // The intake integration signs in with API tokens only; it has no password.
                std::io::stdin().read_line(&mut password)?;
            } else {
                password = "-intake-has-no-password-".to_owned();
            }
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 8 {
                anyhow::bail!(
                    "the password (read from standard input) needs at least 8 characters"
                );
            }
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let exists = registrar::entities::user::Entity::find()
                .filter(registrar::entities::user::Column::Login.eq(login.as_str()))
                .one(&state.db)
                .await?;
            if exists.is_some() {
                anyhow::bail!("a user with login {login:?} already exists");
            }
            let fx: Fixture = serde_json::from_value(serde_json::json!({
                "users": [{ "login": login, "full_name": full_name.clone().unwrap_or_else(|| login.clone()), "role": role, "organisation": organisation }]
            }))
            .map_err(|e| anyhow::anyhow!("--role: {e}"))?;
            seed::apply(&state.db, &fx, Some(password), state.clock.now())
                .await
                .map_err(|e| match e {
                    registrar::error::AppError::Invalid(errors) => {
                        anyhow::anyhow!(
                            "{}",
                            errors
                                .iter()
                                .map(|e| format!("{}: {}", e.field, e.message))
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    }
                    other => other.into(),
                })?;
            println!("user {login} created");
        }
        Command::Token { command } => token_command(command).await?,
        Command::UpTransactions {
            command: UpCommand::Import { file, user },
        } => up_import(&file, &user).await?,
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let state = state(Arc::new(SystemClock)).await?;
            let v = registrar::audit::verify_and_record(
                &state.db,
                Actor::system("cli"),
                state.clock.now(),
            )
            .await?;
            match v.broken {
                None => println!("journal intact: {} entries", v.entries),
                Some((id, b)) => anyhow::bail!(
                    "journal broken at entry {id} ({}): {}",
                    b.as_str(),
                    b.title_ru()
                ),
            }
        }
    }
    Ok(())
}

/// `registrar up-transactions import FILE --user LOGIN`.
async fn up_import(file: &std::path::Path, login: &str) -> anyhow::Result<()> {
    use registrar::reconciliation::{import, service};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let reports = import::parse(&text).map_err(|errors| anyhow::anyhow!(errors.join("\n")))?;
    let state = state(Arc::new(SystemClock)).await?;
    let u = registrar::entities::user::Entity::find()
        .filter(registrar::entities::user::Column::Login.eq(login))
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user with login {login:?}"))?;
    let user = auth::CurrentUser::load(&state.db, u, None).await?;
    let done = service::record_all(&state, &user, &reports)
        .await
        .map_err(|e| match e {
            registrar::error::AppError::Forbidden => {
                anyhow::anyhow!(
                    "{login} is not an operator: only the operator records transactions"
                )
            }
            registrar::error::AppError::Invalid(errors) => anyhow::anyhow!(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            other => anyhow::anyhow!(other.to_string()),
        })?;
    for d in &done {
        println!(
            "{} {:<12} representative {:>6}  added {:>5}  updated {:>5}",
            d.quarter, d.partner_code, d.representative_id, d.added, d.updated
        );
    }
    println!("{} reports imported", done.len());
    Ok(())
}

async fn token_command(command: TokenCommand) -> anyhow::Result<()> {
    use registrar::error::AppError;
    let state = state(Arc::new(SystemClock)).await?;
    let now = state.clock.now();
    match command {
        TokenCommand::Create {
            user,
            days,
            no_expiry,
        } => {
            let days = (!no_expiry).then_some(days);
            let token = auth::token::create_for(&state.db, Actor::system("cli"), &user, now, days)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => anyhow::anyhow!("no active user with login {user:?}"),
                    AppError::Invalid(_) => anyhow::anyhow!("--days must be at least 1"),
                    other => other.into(),
                })?;
            println!("{token}");
        }
        TokenCommand::List { user } => {
            let tokens = auth::token::list(&state.db, user.as_deref())
                .await
                .map_err(|e| match e {
                    AppError::NotFound => {
                        anyhow::anyhow!("no user with login {:?}", user.unwrap_or_default())
                    }
                    other => other.into(),
                })?;
            let when = |t: Option<DateTime<Utc>>| {
                t.map_or("-".to_owned(), |t| {
                    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                })
            };
            println!(
                "{:>5}  {:<20} {:<10} {:<8} {:<20} {:<20} LAST USED",
                "ID", "USER", "PREFIX", "STATUS", "CREATED", "EXPIRES"
            );
            for t in &tokens {
                println!(
                    "{:>5}  {:<20} {:<10} {:<8} {:<20} {:<20} {}",
                    t.id,
                    t.user,
                    t.prefix,
                    t.status(now),
                    when(Some(t.created_at)),
                    when(t.expires_at),
                    when(t.last_used_at)
                );
            }
        }
        TokenCommand::Revoke { id } => {
            auth::token::revoke(&state.db, Actor::system("cli"), id, now)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => anyhow::anyhow!("no token with id {id}"),
                    AppError::Refused { .. } => anyhow::anyhow!("token {id} is already revoked"),
                    other => other.into(),
                })?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}

fn print_demo_logins() {
    println!("Demo data loaded. Every demo login uses the password: {DEMO_PASSWORD}");
    println!("  operator                         оператор (справочники, журнал)");
    println!("  sc-msk, sc-klg                   центры продаж");
    println!("  p-msk-1 … p-msk-3, p-klg-1 … p-klg-3   партнеры");
    println!("  ic-1 … ic-4                      центры идентификации");
    println!("  intake                           интеграция 1С (API)");
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact("sqlite://registrar.db?mode=rwc"),
            "sqlite://registrar.db?mode=rwc"
        );
    }
}

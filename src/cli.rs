//! The commands of the binary (SPEC.md §4). Settings come from flags or the environment; a bad one stops
//! the command with one line naming it.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::auth::password;
use crate::config::{Config, Settings};
use crate::db::{Db, transaction};
use crate::domain::{Country, Email};
use crate::services::organisations::{self, NewProvider, OrganisationError};
use crate::startup::Application;

#[derive(Parser, Debug)]
#[command(
    name = "partner-dashboard",
    version,
    about = "Partner Dashboard for indirect providers"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (migrations are applied first).
    Serve {
        /// Load demo data into an empty database and print its sign-ins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage operator accounts.
    Operator {
        #[command(subcommand)]
        action: OperatorCommand,
    },
    /// Manage indirect provider organisations.
    Provider {
        #[command(subcommand)]
        action: ProviderCommand,
    },
    /// Load demo data (an operator, two providers, resellers, an offer catalog) and print the sign-ins.
    DemoData,
    /// Background jobs.
    Jobs {
        #[command(subcommand)]
        action: JobsCommand,
    },
    /// Write a consistent copy of the SQLite database to FILE, while the dashboard keeps serving (on
    /// PostgreSQL: use pg_dump).
    Backup {
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup where the database lives, into an empty data folder only; migrations are applied.
    Restore {
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Fill an empty database with benchmark data: one provider with many resellers and customers.
    BenchData {
        #[arg(long, default_value_t = 1_000_000)]
        customers: u64,
        #[arg(long, default_value_t = 10_000)]
        resellers: u64,
        /// Open new customer wizard drafts to make, ready to Submit (the write benchmark).
        #[arg(long, default_value_t = 0)]
        drafts: u64,
        /// Where to write the drafts' ids, one a line.
        #[arg(long)]
        drafts_out: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Run every due job once, as of now (`SIMULATED_NOW` in a demo), and print what it did.
    Run {
        /// A demo database: `SIMULATED_NOW` is accepted.
        #[arg(long)]
        demo: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum OperatorCommand {
    /// Create an operator; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Operator")]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProviderCommand {
    /// Create a provider organisation and its first user; the password is read from standard input.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// ISO 3166-1 alpha-2 country of the provider.
        #[arg(long, default_value = "US")]
        country: String,
        /// Name of the first user (default: the organisation's name).
        #[arg(long)]
        user_name: Option<String>,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Runs a command; errors print as one line (with causes) and a failing exit code.
pub fn run(cli: Cli) -> ExitCode {
    crate::telemetry::init();
    let demo = matches!(
        cli.command,
        Command::Serve { demo: true }
            | Command::Jobs {
                action: JobsCommand::Run { demo: true }
            }
    );
    let config = match Config::from_settings(&cli.settings).and_then(|mut c| {
        c.use_simulated_clock(demo)?;
        Ok(c)
    }) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve { demo } => serve(config, demo),
        Command::Migrate => connect(&config).map(|_| {
            println!("migrations applied to {}", config.database_url.redacted());
        }),
        Command::Operator {
            action:
                OperatorCommand::Create {
                    email,
                    name,
                    password_stdin: _,
                },
        } => read_password().and_then(|pw| create_operator(&config, &email, &name, &pw)),
        Command::Provider {
            action:
                ProviderCommand::Create {
                    name,
                    email,
                    country,
                    user_name,
                    password_stdin: _,
                },
        } => read_password().and_then(|pw| {
            create_provider(&config, &name, &email, &country, user_name.as_deref(), &pw)
        }),
        Command::DemoData => demo_data(&config),
        Command::Backup { to } => {
            crate::db::backup::backup(&config.database_url, &to).map(|size| {
                println!(
                    "backup written to {} ({size} bytes, integrity check ok)",
                    to.display()
                );
            })
        }
        Command::Restore { from } => crate::db::backup::restore(&config.database_url, &from)
            .and_then(|to| {
                connect(&config)?;
                println!(
                    "restored {} to {}; migrations applied",
                    from.display(),
                    to.display()
                );
                Ok(())
            }),
        Command::Jobs {
            action: JobsCommand::Run { .. },
        } => run_jobs(&config),
        Command::BenchData {
            customers,
            resellers,
            drafts,
            drafts_out,
        } => bench_data(
            &config,
            crate::bench_data::BenchSpec {
                customers,
                resellers,
                drafts,
            },
            drafts_out.as_deref(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        if demo {
            let db_url = config.database_url.clone();
            let suffix = config.tenant_domain_suffix.clone();
            let now = config.clock.now();
            let loaded = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<String>> {
                let db = Closing(Db::connect(&db_url)?);
                crate::demo::load_if_empty(&db, &suffix, now)
            })
            .await
            .context("demo data task failed")??;
            match loaded {
                Some(sign_ins) => println!("{sign_ins}"),
                None => tracing::info!("database is not empty; demo data not loaded"),
            }
        }
        let app = Application::build(config).await?;
        println!("Partner Dashboard is running at {}", app.state().base_url);
        app.run_until_stopped()
            .await
            .context("server stopped with an error")
    })
}

/// `jobs run`: the renewals, expiries, recurring charges, statements and reminders due as of the
/// clock's now (`services::jobs`), then housekeeping.
fn run_jobs(config: &Config) -> anyhow::Result<()> {
    let db = connect(config)?;
    let now = config.clock.now();
    let base_url = config.base_url.as_ref().map_or_else(
        || format!("http://{}", config.bind),
        |u| u.as_str().trim_end_matches('/').to_owned(),
    );
    let system = actix_web::rt::System::new();
    let report = system
        .block_on(crate::services::jobs::run(&db, now, &base_url))
        .context("the jobs failed")?;
    let removed =
        crate::services::housekeeping::run(&db, config.link_ttl).context("housekeeping failed")?;
    println!("as of {}", now.format("%Y-%m-%dT%H:%M:%SZ"));
    println!("{report}");
    println!(
        "housekeeping: {} sessions, {} drafts, {} expired messages removed",
        removed.sessions, removed.drafts, removed.expired_messages
    );
    Ok(())
}

/// A command's database, closed (see `Db::close`) when the command is done with it, whichever way it
/// ends.
struct Closing(Db);

impl std::ops::Deref for Closing {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.0
    }
}

impl Drop for Closing {
    fn drop(&mut self) {
        self.0.close();
    }
}

fn connect(config: &Config) -> anyhow::Result<Closing> {
    Ok(Closing(Db::connect(&config.database_url)?))
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if let Err(key) = password::check_new(&pw) {
        anyhow::bail!("{}", crate::i18n::t(crate::i18n::Locale::En, key));
    }
    Ok(pw)
}

fn create_operator(config: &Config, email: &str, name: &str, pw: &str) -> anyhow::Result<()> {
    let email =
        Email::parse(email).map_err(|_| anyhow::anyhow!("--email is not a valid email address"))?;
    let db = connect(config)?;
    let hash = password::hash(pw)?;
    let mut conn = db.write_conn()?;
    let id = transaction(&mut conn, |conn| {
        organisations::create_operator_in(conn, &email, name, &hash)
    })
    .map_err(|e| command_error(e, &email))?;
    println!("operator {email} created (user id {id})");
    Ok(())
}

/// A use case's refusal as the one line the command prints.
fn command_error(err: OrganisationError, email: &Email) -> anyhow::Error {
    match err {
        OrganisationError::EmailTaken => {
            anyhow::anyhow!("a user with email {email} already exists")
        }
        OrganisationError::Db(err) => err.into(),
    }
}

fn create_provider(
    config: &Config,
    name: &str,
    email: &str,
    country: &str,
    user_name: Option<&str>,
    pw: &str,
) -> anyhow::Result<()> {
    let email =
        Email::parse(email).map_err(|_| anyhow::anyhow!("--email is not a valid email address"))?;
    let country = Country::parse(country)
        .map_err(|_| anyhow::anyhow!("--country must be an ISO 3166-1 alpha-2 code like TW"))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        anyhow::bail!("--name must be 1 to 200 characters");
    }
    let db = connect(config)?;
    let hash = password::hash(pw)?;
    let mut conn = db.write_conn()?;
    let new = NewProvider {
        name: name.to_owned(),
        country,
        user_name: user_name.unwrap_or(name).to_owned(),
        email: email.clone(),
        password_hash: hash,
        must_change_password: false,
        created_by: None,
        require_mfa: true,
    };
    let made = transaction(&mut conn, |conn| {
        organisations::create_provider_in(conn, &new)
    })
    .map_err(|e| command_error(e, &email))?;
    println!(
        "provider {name} created (id {}); first user {email}",
        made.provider
    );
    Ok(())
}

fn demo_data(config: &Config) -> anyhow::Result<()> {
    let db = connect(config)?;
    match crate::demo::load_if_empty(&db, &config.tenant_domain_suffix, config.clock.now())? {
        Some(sign_ins) => {
            println!("{sign_ins}");
            Ok(())
        }
        None => anyhow::bail!(
            "the database already holds data; demo data is only loaded into an empty database"
        ),
    }
}

fn bench_data(
    config: &Config,
    spec: crate::bench_data::BenchSpec,
    drafts_out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use crate::bench_data::{BENCH_EMAIL, BENCH_OPERATOR, BENCH_PASSWORD};
    let db = connect(config)?;
    let made = crate::bench_data::load(&db, spec, &config.tenant_domain_suffix)?;
    if let Some(path) = drafts_out {
        let ids: Vec<String> = made.draft_ids.iter().map(i64::to_string).collect();
        std::fs::write(path, ids.join("\n") + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "Bench data loaded in {:.1} s: {} customers, {} subscriptions, {} resellers, {} wizard drafts.",
        made.seconds,
        spec.customers,
        made.subscriptions,
        spec.resellers,
        made.draft_ids.len()
    );
    println!(
        "Sign in as {BENCH_EMAIL} with password {BENCH_PASSWORD} (operator: {BENCH_OPERATOR}, same password)."
    );
    println!("provider_id: {}", made.provider_id);
    println!("big_reseller_id: {}", made.big_reseller_id);
    println!("big_reseller_customers: {}", made.big_reseller_customers);
    println!("deep_after: {}", made.deep_after);
    Ok(())
}

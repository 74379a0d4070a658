//! The `openwa` command: parse the command line, load settings, then serve or run one operator
//! command.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use openwa::auth::Role;
use openwa::config::Settings;
use openwa::server::Server;
use openwa::{cli, logging};
use tokio::signal::unix::{signal, SignalKind};

/// Self-hosted WhatsApp HTTP API gateway.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML file overriding config/default.toml (environment variables override both).
    #[arg(long, short, env = "OPENWA_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys in the database directly, for an operator locked out of the API.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Inspect the settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the API's OpenAPI 3.1 document (what GET /api/docs-json serves) and exit.
    Openapi,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key and print it (once) on stdout.
    Create {
        /// A name that says who or what uses the key.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Operator)]
        role: RoleArg,
        /// Restrict the key to this session id (repeat for several); all sessions when absent.
        #[arg(long = "session")]
        sessions: Vec<String>,
        /// Make the key expire this many days from now.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List every key (id, prefix, role, state, last use, name); never a secret.
    List,
    /// Revoke a key by its id or its prefix (at least 8 characters). A running daemon refuses it
    /// within 10 seconds.
    Revoke {
        /// The key's id, or its prefix such as owa_k1_3f9a.
        key: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the settings (defaults, --config file, environment) and print the effective ones,
    /// secrets masked; exit 2 when one is invalid.
    Check,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Viewer,
    Operator,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Operator => Role::Operator,
            RoleArg::Admin => Role::Admin,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("openwa: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init(&settings.server.log_level, &settings.server.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Config(ConfigCommand::Check) => cli::config_check(&settings),
        Command::Openapi => {
            println!(
                "{}",
                String::from_utf8_lossy(openwa::http::openapi::json(&settings))
            );
            ExitCode::SUCCESS
        }
        Command::Migrate => match openwa::store::Store::open(settings.database_target(), 1) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("openwa: database: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Keys(KeysCommand::Create {
            name,
            role,
            sessions,
            expires_in_days,
        }) => run(cli::keys_create(
            &settings,
            name,
            role.into(),
            sessions,
            expires_in_days,
        )),
        Command::Keys(KeysCommand::List) => run(cli::keys_list(&settings)),
        Command::Keys(KeysCommand::Revoke { key }) => run(cli::keys_revoke(&settings, &key)),
        Command::Serve => actix_web::rt::System::new().block_on(serve(settings)),
    }
}

/// Runs one operator command to completion; its error is the one line printed.
fn run(command: impl std::future::Future<Output = Result<(), String>>) -> ExitCode {
    match actix_web::rt::System::new().block_on(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openwa: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let server = match Server::build(settings).await {
        Ok(s) => s,
        Err(e) => {
            log::error!("cannot start: {e}");
            eprintln!("openwa: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let handle = server.shutdown_handle();
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        _ => {
            eprintln!("openwa: cannot install signal handlers");
            return ExitCode::FAILURE;
        }
    };
    actix_web::rt::spawn(async move {
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        // systemd: stopping is on purpose, not a hang for the watchdog to kill.
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
        let first = handle.clone();
        actix_web::rt::spawn(async move { first.shutdown().await });
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        log::warn!("second signal: exiting now");
        std::process::exit(130);
    });
    notify_systemd();
    match server.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Under systemd (`Type=notify`): ready once the API listens and sessions are restored, then a
/// watchdog keep-alive at half the unit's `WatchdogSec` from the main event loop, so a wedged
/// loop gets the daemon restarted. Without systemd these are no-ops.
fn notify_systemd() {
    if let Err(e) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
        log::warn!("systemd: cannot report readiness: {e}");
    }
    let Some(timeout) = sd_notify::watchdog_enabled() else {
        return;
    };
    let every = (timeout / 2).max(Duration::from_millis(50));
    log::info!(
        "systemd watchdog: keep-alive every {} ms",
        every.as_millis()
    );
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]) {
                log::warn!("systemd watchdog: {e}");
            }
        }
    });
}

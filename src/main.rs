//! The `openwa` command: parse the command line, load settings, start the server.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use openwa::config::Settings;
use openwa::server::Server;
use tokio::signal::unix::{signal, SignalKind};

/// Self-hosted WhatsApp HTTP API gateway.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML file overriding config/default.toml (environment variables override both).
    #[arg(long, short, env = "OPENWA_CONFIG")]
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
    /// Print the effective settings (secrets masked) and exit.
    Config,
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
    // The engine crate logs every failed connection attempt as an error; sessions report those
    // through their status and `lastError` instead. A LOG_LEVEL naming these modules still wins.
    env_logger::Builder::new()
        .parse_filters("whatsapp_rust=warn,whatsapp_rust::client=off,wacore=warn")
        .parse_filters(&settings.server.log_level)
        .format_timestamp_millis()
        .init();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Config => {
            println!("{settings:#?}");
            ExitCode::SUCCESS
        }
        Command::Migrate => match openwa::store::Store::open(settings.database_target(), 1) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("openwa: database: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Serve => actix_web::rt::System::new().block_on(serve(settings)),
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
        let first = handle.clone();
        actix_web::rt::spawn(async move { first.shutdown().await });
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        log::warn!("second signal: exiting now");
        std::process::exit(130);
    });
    match server.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

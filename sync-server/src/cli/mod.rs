//! The server's commands: `buqi serve` ([`serve`]) and the office's administration of users,
//! communities, assignments and devices ([`admin`]). Each works on the database `--database`
//! names (or `$BUQI_DATABASE`), directly: they need no running server.

pub mod admin;
pub mod import;
pub mod serve;

use std::fmt::Display;
use std::process::ExitCode;

/// `--database`, shared by every command.
#[derive(clap::Args, Debug, Clone)]
pub struct DatabaseArg {
    /// The server's database: sqlite:PATH (a file, created if missing) or
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.
    #[arg(
        long,
        env = "BUQI_DATABASE",
        hide_env_values = true,
        default_value = "sqlite:buqi.db"
    )]
    pub database: String,
}

/// A tokio runtime for a command.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Reports a failed command on stderr: `buqi <command>: <message>`, exit code 1.
fn fail(command: &str, message: impl Display) -> ExitCode {
    eprintln!("buqi {command}: {message}");
    ExitCode::FAILURE
}

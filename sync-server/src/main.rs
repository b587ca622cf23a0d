//! `buqi`: the city office's command line: `buqi evaluate`, the sync server (`buqi serve`), and
//! the administration of its users, communities, assignments and devices (`buqi_server::cli`).
//!
//! Exports and reports are later work; they are absent, not stubbed.

use std::path::PathBuf;
use std::process::ExitCode;

use buqi_server::cli::admin::{AssignArgs, CommunityCommand, DeviceCommand, UserCommand};
use buqi_server::cli::serve::ServeArgs;
use clap::{Parser, Subcommand, ValueEnum};

mod evaluate;

#[derive(Parser)]
#[command(
    name = "buqi",
    version,
    about = "buqi (补齐): survey residential communities against 《完整居住社区建设标准（试行）》"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate one community's survey file against the standard: a verdict for each of the 20 items.
    ///
    /// Exits 0 whether or not there are gaps, 2 when the survey or profile cannot be read.
    Evaluate {
        /// The survey, in the buqi.survey JSON interchange format; `-` reads standard input.
        file: PathBuf,
        /// A city or province profile (TOML) laid over the standard.
        #[arg(long)]
        profile: Option<PathBuf>,
        /// table: for people; json: the 20 item results; json-full: with the summary and scale
        /// (schema/evaluation.schema.json).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The language of the table.
        #[arg(long, value_enum, default_value_t = Lang::Zh)]
        lang: Lang,
    },
    /// Run the sync server: tablets enroll, push their changes and pull everyone's
    /// (protocol v1, docs/sync-protocol.md).
    Serve(ServeArgs),
    /// Users of the server.
    #[command(subcommand)]
    User(UserCommand),
    /// Communities whose surveys the server keeps.
    #[command(subcommand)]
    Community(CommunityCommand),
    /// Assign a community to a user: their devices may then push and pull it.
    Assign(AssignArgs),
    /// Take a community away from a user: their devices stop syncing it (its data stays here).
    Unassign(AssignArgs),
    /// Tablets: enrollment codes, revocation.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Create communities and assignments from a list (CSV or XLSX, with GeoJSON boundaries).
    ///
    /// Every row is checked first; if any is bad, each problem is shown by row and column,
    /// nothing is changed, and the exit code is 2. Importing the same list again changes nothing.
    Import(buqi_server::cli::import::ImportArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    JsonFull,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    Zh,
    En,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Evaluate {
            file,
            profile,
            format,
            lang,
        } => evaluate::run(&file, profile.as_deref(), format, lang),
        Command::Serve(args) => buqi_server::cli::serve::run(args),
        Command::User(command) => buqi_server::cli::admin::user(command),
        Command::Community(command) => buqi_server::cli::admin::community(command),
        Command::Assign(args) => buqi_server::cli::admin::assign(args),
        Command::Unassign(args) => buqi_server::cli::admin::unassign(args),
        Command::Device(command) => buqi_server::cli::admin::device(command),
        Command::Import(args) => buqi_server::cli::import::run(args),
    }
}

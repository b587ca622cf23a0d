//! `buqi`: the city office's command line, and (later) `buqi serve`.
//!
//! Today it has one command, `buqi evaluate`. The server, imports, exports and reports are later
//! work; they are absent, not stubbed.

use std::path::PathBuf;
use std::process::ExitCode;

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
    }
}

//! The binary: parse the command line, then hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = partner_dashboard::cli::Cli::parse();
    partner_dashboard::cli::run(cli)
}

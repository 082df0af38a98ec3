//! The `brink` command line. `main` only maps the outcome to an exit code; see `cli`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

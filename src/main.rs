use std::process::ExitCode;

fn main() -> ExitCode {
    acta::cli::main()
}

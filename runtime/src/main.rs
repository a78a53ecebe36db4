//! The `pipec` binary: parse arguments, run the subcommand, exit with its code.

fn main() {
    std::process::exit(pipec_runtime::cli::main_with(std::env::args_os()));
}

use clap::Parser;
use otelcost::cli::{self, Cli};

fn main() {
    let cli = Cli::parse();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(failure) => {
            if !failure.is_quiet() {
                eprintln!("otelcost: {}", failure.message);
            }
            failure.code
        }
    };
    std::process::exit(code);
}

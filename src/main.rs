use clap::Parser;

fn main() {
    let cli = postmagiq::cli::Cli::parse();
    let config = match postmagiq::config::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            std::process::exit(2);
        }
    };
    postmagiq::telemetry::init(config.log_format);
    postmagiq::install_crypto_provider();
    if let Err(e) = postmagiq::cli::run(cli, config) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

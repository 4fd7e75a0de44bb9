//! `helpwire-relay --config relay.toml [--check-config]`

use helpwire_relay::Config;
use std::process::ExitCode;

const USAGE: &str = "usage: helpwire-relay --config relay.toml [--check-config]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut path, mut check) = (None, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" => path = args.next(),
            "--check-config" => check = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("helpwire-relay: unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(path) = path else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("helpwire-relay: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = match Config::parse(&text, &|name| std::env::var(name).ok()) {
        Ok(c) => c,
        Err(reason) => {
            eprintln!("helpwire-relay: {path}: {reason}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        println!(
            "{path}: ok ({} backend, {} origin(s))",
            config.backend.kind.name(),
            config.allowed_origins.len()
        );
        return ExitCode::SUCCESS;
    }
    // stderr, as relay/README.md documents: stdout carries only the "listening" line.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HELPWIRE_RELAY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the runtime starts");
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(config.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("helpwire-relay: cannot listen on {}: {e}", config.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tracing::info!(
            backend = config.backend.kind.name(),
            "relay listening on http://{addr}"
        );
        println!("relay listening on http://{addr}");
        let shutdown = async {
            let ctrl_c = tokio::signal::ctrl_c();
            #[cfg(unix)]
            {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("SIGTERM handler installs");
                tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
            }
            #[cfg(not(unix))]
            let _ = ctrl_c.await;
        };
        match helpwire_relay::serve(config, listener, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("helpwire-relay: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

//! `helpwire-sandbox [--port N] [--host ADDR] [--gleap-proxy on|off]
//! [--gurusup-proxy on|off] [--gleap-rate-limit N]`

use std::process::ExitCode;

use helpwire_sandbox::{app, serve, AppState, Config};

const USAGE: &str = "usage: helpwire-sandbox [--port N (default 8787, 0 = any free port)] \
[--host ADDR (default 127.0.0.1)] [--gleap-proxy on|off (default on)] \
[--gurusup-proxy on|off (default on)] [--gleap-rate-limit N (default 1000 per 60 s)]";

struct Args {
    host: String,
    port: u16,
    config: Config,
}

fn on_off(v: &str) -> Result<bool, String> {
    match v {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(format!("expected on or off, got {v:?}")),
    }
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        host: "127.0.0.1".into(),
        port: 8787,
        config: Config::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--port" => a.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--host" => a.host = value()?,
            "--gleap-proxy" => a.config.gleap_proxy = on_off(&value()?)?,
            "--gurusup-proxy" => a.config.gurusup_proxy = on_off(&value()?)?,
            "--gleap-rate-limit" => {
                a.config.gleap_rate_limit = value()?
                    .parse()
                    .map_err(|e| format!("--gleap-rate-limit: {e}"))?
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(a)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("helpwire-sandbox: {e}");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "helpwire-sandbox: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("helpwire-sandbox: {e}");
            return ExitCode::FAILURE;
        }
    };
    let router = app(AppState::new(args.config));
    // Test harnesses wait for this exact line.
    println!("sandbox listening on http://{addr}");
    match serve(listener, router, shutdown_signal()).await {
        Ok(()) => {
            eprintln!("sandbox stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("helpwire-sandbox: {e}");
            ExitCode::FAILURE
        }
    }
}

//! The relay's benchmark (run by `scripts/bench-relay.sh`, which starts the sandbox helpdesk and
//! a relay for its Gleap, then this). It prints numbers; it asserts nothing but what makes the
//! numbers meaningless when false (every request answered, no message lost or doubled).
//!
//! 1. Latency the relay adds: the same read (one ticket's messages) sent straight to the sandbox
//!    with the secret key, then through the relay with a visitor token, open-loop at each rate;
//!    p50 and p99 of both and their difference.
//! 2. 1,000 visitors at once: each starts, opens a conversation and sends more messages, one of
//!    them twice with the same `client_id` (a retry after a lost answer); then the sandbox's
//!    stored conversations are counted: every text must be there exactly once.
//! 3. Memory per idle event stream: the relay's resident memory before and after the visitors of
//!    (2) each open `GET /v1/events` and leave it idle.
//!
//! `cargo run --profile relay -p helpwire-relay --example bench -- <sandbox url> <relay url>
//! <relay pid> [seconds per rate] [rates…]`

use reqwest::Client;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const ORIGIN: &str = "https://bench.example";
const GLEAP_KEY: &str = "gleap_secret_test";
const GLEAP_PROJECT: &str = "proj_test";
const VISITORS: usize = 1000;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [sandbox, relay, pid, rest @ ..] = args.as_slice() else {
        return Err("usage: bench <sandbox url> <relay url> <relay pid> [seconds] [rates…]".into());
    };
    let seconds: u64 = rest.first().map_or(Ok(5), |s| s.parse())?;
    let rates: Vec<u32> = if rest.len() > 1 {
        rest[1..]
            .iter()
            .map(|r| r.parse())
            .collect::<Result<_, _>>()?
    } else {
        vec![100, 250, 500]
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1024)
        .build()?;
    // The documented 1000 requests a minute would stop the rates below at the sandbox.
    control(
        &http,
        sandbox,
        "config",
        json!({"gleap_rate_limit": 100_000_000}),
    )
    .await?;

    println!("== latency the relay adds (Gleap read of one ticket; {seconds} s per rate) ==");
    let visitor = Visitor::start(&http, relay).await?;
    let (ticket, _) = visitor
        .open(&http, relay, "bench-0", "latency probe")
        .await?;
    let direct_url =
        format!("{sandbox}/gleap/v3/messages?ticket={ticket}&sort=createdAt&limit=50&skip=0");
    let relay_url = format!("{relay}/v1/conversations/{ticket}/messages");
    println!("rate/s   direct p50   p99    relay p50   p99    added p50   p99    errors");
    for rate in rates {
        let direct = open_loop(rate, seconds, || {
            http.get(&direct_url)
                .bearer_auth(GLEAP_KEY)
                .header("Project", GLEAP_PROJECT)
        })
        .await;
        let token = visitor.token.lock().await.clone();
        let through = open_loop(rate, seconds, || {
            http.get(&relay_url)
                .bearer_auth(&token)
                .header("Origin", ORIGIN)
        })
        .await;
        let (d50, d99) = (direct.percentile(50.0), direct.percentile(99.0));
        let (r50, r99) = (through.percentile(50.0), through.percentile(99.0));
        println!(
            "{rate:>6}   {d50:>7.2} ms {d99:>6.2}   {r50:>7.2} ms {r99:>6.2}   {:>7.2} ms {:>6.2}   {}",
            r50 - d50,
            r99 - d99,
            direct.errors + through.errors
        );
    }

    println!("== {VISITORS} visitors at once: start, open, send two more (one retried) ==");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..VISITORS {
        let (http, relay) = (http.clone(), relay.clone());
        tasks.push(tokio::spawn(
            async move { one_visitor(&http, &relay, n).await },
        ));
    }
    let mut visitors = Vec::new();
    let mut failed = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(v)) => visitors.push(v),
            Ok(Err(e)) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("a visitor failed: {e}");
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let took = started.elapsed().as_secs_f64();
    let stored = control_get(&http, sandbox, "gleap/conversations").await?;
    let (lost, doubled) = count_copies(&stored, VISITORS);
    println!(
        "{} visitors done in {took:.1} s ({failed} failed); messages sent {}, lost {lost}, doubled {doubled}",
        visitors.len(),
        visitors.len() * 3
    );

    println!("== memory per idle event stream ==");
    let before = rss_kb(pid)?;
    let mut streams = Vec::new();
    let mut refused = None;
    for v in &visitors {
        let token = v.token.lock().await.clone();
        let res = http
            .get(format!("{relay}/v1/events"))
            .bearer_auth(&token)
            .header("Origin", ORIGIN)
            .send()
            .await?;
        if !res.status().is_success() {
            refused = Some(res.status());
            break;
        }
        streams.push(res);
    }
    match refused {
        Some(status) => println!("GET /v1/events answered {status}: not measured"),
        None => {
            // Let each stream's first bytes and any lazily made state settle.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let after = rss_kb(pid)?;
            println!(
                "{} idle streams: relay RSS {before} KB -> {after} KB, {:.1} KB per stream",
                streams.len(),
                (after.saturating_sub(before)) as f64 / streams.len().max(1) as f64
            );
        }
    }
    drop(streams);
    Ok(())
}

/// A visitor of the relay: its token (replaced by the one a new conversation gives).
struct Visitor {
    token: Mutex<String>,
}

impl Visitor {
    async fn start(http: &Client, relay: &str) -> Result<Visitor, Failure> {
        let answer = post(http, &format!("{relay}/v1/visitors"), None, json!({})).await?;
        let token = answer["token"].as_str().ok_or("no token")?.to_string();
        Ok(Visitor {
            token: Mutex::new(token),
        })
    }

    /// Opens a conversation with its first message; returns its id and the message.
    async fn open(
        &self,
        http: &Client,
        relay: &str,
        client_id: &str,
        text: &str,
    ) -> Result<(String, Value), Failure> {
        let token = self.token.lock().await.clone();
        let answer = post(
            http,
            &format!("{relay}/v1/conversations"),
            Some(&token),
            json!({"client_id": client_id, "text": text}),
        )
        .await?;
        let id = answer["conversation"]["id"]
            .as_str()
            .ok_or("no conversation id")?
            .to_string();
        *self.token.lock().await = answer["token"].as_str().ok_or("no token")?.to_string();
        Ok((id, answer["message"].clone()))
    }
}

/// One of the 1,000: the texts it sends are `v<n> m<k>`, counted afterwards in the sandbox.
async fn one_visitor(http: &Client, relay: &str, n: usize) -> Result<Visitor, Failure> {
    let visitor = Visitor::start(http, relay).await?;
    let (id, _) = visitor
        .open(http, relay, &format!("c{n}-0"), &format!("v{n} m0"))
        .await?;
    let token = visitor.token.lock().await.clone();
    let url = format!("{relay}/v1/conversations/{id}/messages");
    for k in 1..3 {
        let body = json!({"client_id": format!("c{n}-{k}"), "text": format!("v{n} m{k}")});
        let first = post(http, &url, Some(&token), body.clone()).await?;
        if k == 2 {
            // The retry of a send whose answer was "lost": must be answered with the same message.
            let again = post(http, &url, Some(&token), body).await?;
            if again["message"]["id"] != first["message"]["id"] {
                return Err(format!("visitor {n}: a retry gave another message").into());
            }
        }
    }
    Ok(visitor)
}

/// Each `v<n> m<k>` text's copies across the sandbox's Gleap tickets: (lost, doubled).
fn count_copies(conversations: &Value, visitors: usize) -> (usize, usize) {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for c in conversations.as_array().into_iter().flatten() {
        for m in c["messages"].as_array().into_iter().flatten() {
            let text = m["comment"]
                .as_str()
                .or_else(|| m["text"].as_str())
                .unwrap_or_default();
            *counts.entry(text.to_string()).or_default() += 1;
        }
    }
    let (mut lost, mut doubled) = (0, 0);
    for n in 0..visitors {
        for k in 0..3 {
            match counts.get(&format!("v{n} m{k}")).copied().unwrap_or(0) {
                0 => lost += 1,
                1 => {}
                more => doubled += more - 1,
            }
        }
    }
    (lost, doubled)
}

/// Latencies (ms) of requests started at a fixed rate whatever the answers' pace (open loop:
/// a slow answer does not delay the next request, so queueing shows in the numbers).
struct Latencies {
    ms: Vec<f64>,
    errors: usize,
}

impl Latencies {
    fn percentile(&self, p: f64) -> f64 {
        if self.ms.is_empty() {
            return f64::NAN;
        }
        let at = ((p / 100.0) * (self.ms.len() - 1) as f64).round() as usize;
        self.ms[at.min(self.ms.len() - 1)]
    }
}

async fn open_loop(
    rate: u32,
    seconds: u64,
    request: impl Fn() -> reqwest::RequestBuilder,
) -> Latencies {
    let total = rate as u64 * seconds;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let results = Arc::new(std::sync::Mutex::new(Latencies {
        ms: Vec::with_capacity(total as usize),
        errors: 0,
    }));
    let mut tasks = Vec::with_capacity(total as usize);
    for _ in 0..total {
        tick.tick().await;
        let req = request();
        let results = results.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let ok = match req.send().await {
                Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
                Err(_) => false,
            };
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let mut r = results.lock().unwrap_or_else(|e| e.into_inner());
            if ok {
                r.ms.push(ms);
            } else {
                r.errors += 1;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut r = std::mem::replace(
        &mut *results.lock().unwrap_or_else(|e| e.into_inner()),
        Latencies {
            ms: Vec::new(),
            errors: 0,
        },
    );
    r.ms.sort_by(f64::total_cmp);
    r
}

async fn post(
    http: &Client,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> Result<Value, Failure> {
    let mut req = http.post(url).header("Origin", ORIGIN).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    if !status.is_success() {
        return Err(format!("POST {url} -> {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text)?)
}

async fn control(http: &Client, sandbox: &str, path: &str, body: Value) -> Result<(), Failure> {
    let res = http
        .post(format!("{sandbox}/_sandbox/{path}"))
        .json(&body)
        .send()
        .await?;
    if !res.status().is_success() {
        return Err(format!("sandbox control {path}: {}", res.status()).into());
    }
    Ok(())
}

async fn control_get(http: &Client, sandbox: &str, path: &str) -> Result<Value, Failure> {
    Ok(http
        .get(format!("{sandbox}/_sandbox/{path}"))
        .send()
        .await?
        .json()
        .await?)
}

/// The resident memory of process `pid` in KB (Linux).
fn rss_kb(pid: &str) -> Result<u64, Failure> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("no VmRSS value")?
        .parse()?)
}

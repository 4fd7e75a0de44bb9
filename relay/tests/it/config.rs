//! relay.toml: validation and `--check-config`.

use crate::common::*;
use helpwire_relay::Config;
use std::process::Command;

fn base(extra_top: &str, backend: &str) -> String {
    format!(
        "listen = \"127.0.0.1:8788\"\nallowed_origins = [\"https://shop.example\"]\n\
         token_secrets = [\"env:TOKEN\"]\n{extra_top}\n[backend]\n{backend}\n"
    )
}

fn env(name: &str) -> Option<String> {
    match name {
        "TOKEN" => Some(TOKEN_SECRET.into()),
        "KEY" => Some("gleap_secret_test".into()),
        "EMPTY" => Some(String::new()),
        "HOOK" => Some("hook-key-from-env".into()),
        _ => None,
    }
}

#[test]
fn valid_config_with_env_secrets() {
    let text = base(
        "token_ttl = \"12h\"",
        "kind = \"gleap\"\napi_base = \"https://api.gleap.io\"\napi_key = \"env:KEY\"\nproject = \"p\"",
    );
    let c = Config::parse(&text, &env).unwrap();
    assert_eq!(c.token_secrets, vec![TOKEN_SECRET.as_bytes().to_vec()]);
    assert_eq!(c.backend.api_key.as_deref(), Some("gleap_secret_test"));
    assert_eq!(c.token_ttl.as_secs(), 12 * 3600);
    assert!(
        !format!("{c:?}").contains(TOKEN_SECRET),
        "Debug hides secrets"
    );
}

#[test]
fn the_gurusup_webhook_key_and_stream_limits() {
    let text = base(
        "",
        "kind = \"gurusup\"\napi_base = \"https://x\"\nwebhook_key = \"env:HOOK\"",
    )
        + "[limits]\nmax_streams_per_visitor = 2\nmax_streams = 50\nstream_heartbeat = \"5s\"\n";
    let c = Config::parse(&text, &env).unwrap();
    assert_eq!(c.backend.webhook_key.as_deref(), Some("hook-key-from-env"));
    assert!(c.secrets().contains(&"hook-key-from-env".to_string()));
    let l = &c.limits;
    assert_eq!((l.max_streams_per_visitor, l.max_streams), (2, 50));
    assert_eq!(l.stream_heartbeat.as_secs(), 5);
    // Defaults.
    let d = Config::parse(&base("", "kind = \"bot\"\napi_base = \"https://x\""), &env).unwrap();
    assert_eq!(d.backend.webhook_key, None);
    let l = &d.limits;
    assert_eq!((l.max_streams_per_visitor, l.max_streams), (4, 10_000));
    assert_eq!(l.stream_heartbeat.as_secs(), 20);
}

#[test]
fn invalid_configs_say_why() {
    let ok_backend = "kind = \"bot\"\napi_base = \"http://127.0.0.1:9/bot\"";
    let cases = [
        (
            base("", ok_backend).replace("\"https://shop.example\"", "\"*\""),
            "`*` is refused",
        ),
        (
            base("", ok_backend)
                .replace("\"https://shop.example\"", "\"https://shop.example/path\""),
            "without a path",
        ),
        (
            base("", ok_backend).replace("env:TOKEN", "short"),
            "shorter than 32",
        ),
        (
            base("", ok_backend).replace("env:TOKEN", "env:MISSING"),
            "MISSING is not set",
        ),
        (
            base("", ok_backend).replace("env:TOKEN", "env:EMPTY"),
            "empty",
        ),
        (
            base("identity_secret = \"tiny\"", ok_backend),
            "identity_secret",
        ),
        (
            base("redis_url = \"rediss://127.0.0.1\"", ok_backend),
            "redis_url",
        ),
        (
            base("", "kind = \"eusate\"\napi_base = \"https://x\""),
            "api_key: required for eusate",
        ),
        (
            base("", ok_backend) + "[limits]\nmax_push_connections = 0\n",
            "limits.max_push_connections",
        ),
        (
            base("", ok_backend) + "[limits]\npush_idle = \"soon\"\n",
            "limits.push_idle",
        ),
        (
            base("", "kind = \"zendesk\"\napi_base = \"https://x\""),
            "zendesk",
        ),
        (
            base("", "kind = \"bot\"\napi_base = \"ftp://x\""),
            "not an http(s) URL",
        ),
        (base("token_ttl = \"7 weeks\"", ok_backend), "token_ttl"),
        (base("surprise = 1", ok_backend), "surprise"),
        (
            base("", ok_backend).replace("127.0.0.1:8788", "nowhere"),
            "listen",
        ),
        (
            base("", &format!("{ok_backend}\nwebhook_key = \"k\"")),
            "only for gurusup",
        ),
        (
            base(
                "",
                "kind = \"gurusup\"\napi_base = \"https://x\"\nwebhook_key = \"env:NOPE\"",
            ),
            "NOPE is not set",
        ),
        (
            base("", ok_backend) + "[limits]\nmax_streams_per_visitor = 0\n",
            "max_streams_per_visitor",
        ),
        (
            base("", ok_backend) + "[limits]\nmax_streams = 0\n",
            "max_streams",
        ),
        (
            base("", ok_backend) + "[limits]\nstream_heartbeat = \"2m\"\n",
            "stream_heartbeat",
        ),
    ];
    for (text, why) in cases {
        let err = Config::parse(&text, &env)
            .err()
            .unwrap_or_else(|| panic!("accepted: {text}"));
        assert!(err.contains(why), "{err:?} should say {why:?}");
        assert!(!err.contains(TOKEN_SECRET));
    }
}

#[test]
fn check_config_flag_exits_with_the_reason() {
    let dir = std::env::temp_dir().join(format!("helpwire-relay-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &good,
        base("", "kind = \"bot\"\napi_base = \"http://127.0.0.1:9/bot\""),
    )
    .unwrap();
    std::fs::write(
        &bad,
        base("", "kind = \"bot\"\napi_base = \"http://127.0.0.1:9/bot\"")
            .replace("\"https://shop.example\"", "\"*\""),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_helpwire-relay");
    let out = Command::new(bin)
        .args(["--config", good.to_str().unwrap(), "--check-config"])
        .env("TOKEN", TOKEN_SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(bin)
        .args(["--config", bad.to_str().unwrap(), "--check-config"])
        .env("TOKEN", TOKEN_SECRET)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`*` is refused"));
    let out = Command::new(bin)
        .args(["--config", good.to_str().unwrap(), "--check-config"])
        .env_remove("TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TOKEN is not set"));
    std::fs::remove_dir_all(&dir).ok();
}

//! Contact details (the pre-chat form, "Get the answer by email"): the checks a value must
//! pass, the settings, and what reaches each backend. The engine is driven by hand and its jobs
//! are turned into requests by the real providers, so each test sees the exact request shape
//! of the vendor's documents (seed 000 Gleap sessions, seed 001 the bot contract's
//! `session.email`, seed 004 Bancroft's `user_email`, relay/README.md `POST /v1/visitors`).

use helpwire_core::config::{Config, ProviderKind, Severity};
use helpwire_core::contact::{
    backend_takes_contact, backend_takes_late_email, check_email, check_name, ContactError,
    Prechat, MAX_EMAIL_BYTES, MAX_NAME_CHARS,
};
use helpwire_core::engine::storage::Snapshot;
use helpwire_core::engine::{Command, Effect, Engine, Job, Outcome, Planned};
use helpwire_core::json::Json;
use helpwire_core::model::{Conversation, Session};
use helpwire_core::protocol::bancroft::BancroftProvider;
use helpwire_core::protocol::bot::BotProvider;
use helpwire_core::protocol::gleap::GleapProvider;
use helpwire_core::protocol::relay::{RelayProvider, TOKEN};
use helpwire_core::protocol::{HttpRequest, Method, Plan, Provider, Sent};

fn j(text: &str) -> Json {
    Json::parse(text).unwrap()
}

#[test]
fn an_email_needs_one_at_a_dot_after_it_no_spaces_and_a_bounded_length() {
    for good in [
        "ada@example.com",
        "  ada.lovelace+help@mail.example.co.uk ",
        "o'brien@example.ie",
        "名前@例え.jp",
    ] {
        assert_eq!(check_email(good), Ok(good.trim().to_string()), "{good}");
    }
    assert_eq!(check_email(""), Err(ContactError::EmailMissing));
    assert_eq!(check_email("   \n"), Err(ContactError::EmailMissing));
    for bad in [
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@.com",
        "ada@example.",
        "ada@example..com",
        "ada@@example.com",
        "ada@ex@ample.com",
        "ada lovelace@example.com",
        "ada@exam\tple.com",
        "ada@exam\u{0}ple.com",
        "ada@example.com\u{2028}x",
    ] {
        assert_eq!(check_email(bad), Err(ContactError::EmailInvalid), "{bad:?}");
    }
    let longest = format!("{}@example.com", "a".repeat(MAX_EMAIL_BYTES - 12));
    assert_eq!(longest.len(), MAX_EMAIL_BYTES);
    assert!(check_email(&longest).is_ok());
    let too_long = format!("a{longest}");
    assert_eq!(check_email(&too_long), Err(ContactError::EmailInvalid));
}

#[test]
fn a_name_is_trimmed_and_cut_and_must_not_be_empty() {
    assert_eq!(check_name("  Ada Lovelace "), Ok("Ada Lovelace".into()));
    assert_eq!(check_name("أحمد"), Ok("أحمد".into()));
    assert_eq!(check_name(""), Err(ContactError::NameMissing));
    assert_eq!(check_name(" \t\n "), Err(ContactError::NameMissing));
    let long = "é".repeat(MAX_NAME_CHARS + 50);
    assert_eq!(
        check_name(&long).map(|n| n.chars().count()),
        Ok(MAX_NAME_CHARS)
    );
}

/// `check_email` and `check_name` as first written, with std's splits and char collection: the
/// byte-wise versions must agree with them on every input.
fn check_email_with_std(input: &str) -> Result<String, ContactError> {
    let email = input.trim();
    if email.is_empty() {
        return Err(ContactError::EmailMissing);
    }
    let mut parts = email.split('@');
    let valid = match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && domain.split('.').all(|label| !label.is_empty())
                && email.len() <= MAX_EMAIL_BYTES
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        _ => false,
    };
    if valid {
        Ok(email.to_string())
    } else {
        Err(ContactError::EmailInvalid)
    }
}

fn check_name_with_std(input: &str) -> Result<String, ContactError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(ContactError::NameMissing);
    }
    Ok(name.chars().take(MAX_NAME_CHARS).collect())
}

#[test]
fn the_checks_agree_with_their_std_versions() {
    // Every string of up to five of these pieces: each place an `@`, a dot, a space or a
    // character of several bytes can be.
    let pieces = ["a", "@", ".", " ", "é", "名", "\u{2028}", "\u{0}", ".."];
    let mut inputs = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..5 {
        let mut next = Vec::new();
        for prefix in &last {
            for piece in pieces {
                next.push(format!("{prefix}{piece}"));
            }
        }
        inputs.extend(next.iter().cloned());
        last = next;
    }
    for length in [MAX_NAME_CHARS - 1, MAX_NAME_CHARS, MAX_NAME_CHARS + 1] {
        inputs.push("é".repeat(length));
        inputs.push(format!(" {} ", "a".repeat(length)));
        inputs.push(format!("{}@example.com", "a".repeat(length)));
    }
    for input in &inputs {
        assert_eq!(check_email(input), check_email_with_std(input), "{input:?}");
        assert_eq!(check_name(input), check_name_with_std(input), "{input:?}");
    }
}

#[test]
fn prechat_and_privacy_url_settings() {
    let parsed = Config::parse([
        ("prechat", "name-email"),
        ("privacyUrl", "https://example.com/privacy"),
    ]);
    assert_eq!(parsed.issues, vec![]);
    assert_eq!(parsed.config.prechat, Prechat::NameEmail);
    assert_eq!(
        parsed.config.privacy_url.as_deref(),
        Some("https://example.com/privacy")
    );
    assert_eq!(Config::parse([]).config.prechat, Prechat::None);
    assert_eq!(
        Config::parse([("prechat", "email")]).config.prechat,
        Prechat::Email
    );

    let parsed = Config::parse([("prechat", "phone")]);
    assert_eq!(parsed.config.prechat, Prechat::None);
    assert_eq!(parsed.issues.len(), 1);
    assert_eq!(parsed.issues[0].name, "data-prechat");
    assert_eq!(
        parsed.issues[0].message,
        "\"phone\" is not none, email or name-email; using none"
    );

    // Only http(s) links: anything else (a script, a data URL, a relative path) is refused.
    for bad in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "/privacy",
        "ftp://example.com/p",
        "https://",
    ] {
        let parsed = Config::parse([("privacy-url", bad)]);
        assert_eq!(parsed.config.privacy_url, None, "{bad}");
        assert_eq!(parsed.issues.len(), 1, "{bad}");
        assert_eq!(parsed.issues[0].name, "data-privacy-url");
        assert_eq!(parsed.issues[0].severity, Severity::Warning);
        assert!(
            parsed.issues[0]
                .message
                .ends_with("is not an http(s) URL; no privacy link"),
            "{}",
            parsed.issues[0].message
        );
    }
}

#[test]
fn backends_without_a_place_for_contact_details_ignore_the_form_with_a_warning() {
    for (kind, form, late) in [
        (ProviderKind::Local, true, true),
        (ProviderKind::Bancroft, true, false),
        (ProviderKind::Gleap, true, true),
        (ProviderKind::Bot, true, true),
        (ProviderKind::Relay, true, true),
        (ProviderKind::Gurusup, false, false),
        (ProviderKind::Eusate, false, false),
    ] {
        assert_eq!(backend_takes_contact(kind), form, "{kind:?}");
        assert_eq!(backend_takes_late_email(kind), late, "{kind:?}");
    }
    let parsed = Config::parse([
        ("provider", "gurusup"),
        ("api-base", "https://proxy.example.com"),
        ("prechat", "email"),
    ]);
    assert_eq!(parsed.issues.len(), 1);
    assert_eq!(parsed.issues[0].name, "data-prechat");
    assert_eq!(
        parsed.issues[0].message,
        "provider \"gurusup\" has no place for a visitor's contact details; ignored"
    );
}

/// An engine whose jobs the test answers by hand.
struct Drive {
    engine: Engine,
    now: f64,
    job: Option<(u64, Job)>,
    persisted: usize,
}

impl Drive {
    fn new(provider: &dyn Provider, restored: Option<Snapshot>) -> Self {
        Drive {
            engine: Engine::new(provider.capabilities(), restored, "v_anon".into()),
            now: 1_700_000_000_000.0,
            job: None,
            persisted: 0,
        }
    }

    fn cmd(&mut self, command: Command) {
        for effect in self.engine.handle(command, self.now) {
            match effect {
                Effect::Run { generation, job } => self.job = Some((generation, *job)),
                Effect::Persist => self.persisted += 1,
                _ => {}
            }
        }
    }

    /// The running job's request, as `provider` builds it.
    fn request(&self, provider: &dyn Provider) -> Option<HttpRequest> {
        let (_, job) = self.job.as_ref().expect("a job is running");
        let plan_request = |plan: Plan<_>| match plan {
            Plan::Request { request, .. } => Some(request),
            Plan::Ready(_) => None,
        };
        match job.plan(provider) {
            Planned::Session(p) => plan_request(p.map_ready()),
            Planned::Conversation(p) => plan_request(p.map_ready()),
            Planned::Send { plan, .. } => plan_request(plan.map_ready()),
            Planned::Fetch(p) => plan_request(p.map_ready()),
            Planned::List(p) => plan_request(p.map_ready()),
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        let (generation, _) = self.job.take().expect("a job is running");
        self.cmd(Command::Finished {
            generation,
            outcome,
        });
    }

    fn send(&mut self, text: &str) {
        self.cmd(Command::Send {
            text: text.into(),
            local_id: "l1".into(),
        });
    }
}

/// Lets [`Drive::request`] look at any plan's request alike.
trait MapReady {
    fn map_ready(self) -> Plan<()>;
}

impl<T: 'static> MapReady for Plan<T> {
    fn map_ready(self) -> Plan<()> {
        match self {
            Plan::Ready(r) => Plan::Ready(r.map(|_| ())),
            Plan::Request { request, .. } => Plan::request(request, |_| Ok(())),
        }
    }
}

/// What the view dispatches for what the visitor typed: the values its checks return.
fn contact(email: &str, name: Option<&str>) -> Command {
    Command::Contact {
        email: Some(check_email(email).unwrap()),
        name: name.map(|n| check_name(n).unwrap()),
    }
}

fn sent() -> Outcome {
    Outcome::Sent {
        local_id: "l1".into(),
        result: Ok(Sent {
            remote_id: "m1".into(),
            created_at: None,
            replies: vec![],
            warnings: vec![],
            presence: Default::default(),
        }),
    }
}

#[test]
fn bancroft_creates_the_conversation_with_the_prechat_email_and_name() {
    let p = BancroftProvider::new("https://help.example.com", Some("bnc_cl_123"));
    let mut d = Drive::new(&p, None);
    d.cmd(Command::Open);
    d.cmd(contact(" ada@example.com ", Some("Ada Lovelace")));
    assert!(
        d.job.is_none(),
        "nothing to tell Bancroft before the first message"
    );
    assert!(d.persisted > 0, "kept: a reload does not ask again");
    d.send("Where is my order?");
    // Bancroft has no sessions: the session plan needs no request.
    let (g, job) = d.job.take().unwrap();
    assert!(matches!(job, Job::StartSession { .. }));
    let Planned::Session(Plan::Ready(session)) = job.plan(&p) else {
        panic!("Bancroft's session is local")
    };
    d.job = Some((g, job));
    d.finish(Outcome::Session(session));
    let req = d.request(&p).expect("the conversation is created");
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "https://help.example.com/api/v1/conversations/create/"
    );
    assert_eq!(
        req.body,
        Some(j(r#"{
            "subject": "Where is my order?",
            "user_email": "ada@example.com",
            "user_first_name": "Ada",
            "user_last_name": "Lovelace",
            "channel": "web",
            "metadata": {"source": "helpwire"}
        }"#))
    );
}

#[test]
fn gleap_tells_the_session_the_email_before_and_after_the_first_message() {
    let p = GleapProvider::new("https://api.gleap.io", Some("KEY"), Some("PROJECT"));
    // Before: the pre-chat form's details go with the session the first message starts.
    let mut d = Drive::new(&p, None);
    d.cmd(Command::Open);
    d.cmd(contact("ada@example.com", Some("Ada")));
    d.send("Hello");
    let req = d.request(&p).expect("a session request");
    assert_eq!(req.url, "https://api.gleap.io/v3/sessions");
    assert_eq!(
        req.body,
        Some(j(
            r#"{"userId": "v_anon", "email": "ada@example.com", "name": "Ada"}"#
        ))
    );

    // After: an anonymous visitor with a conversation accepts the offer; the same session
    // (same `userId`) is posted again with the email, and the conversation is kept.
    let mut d = Drive::new(&p, None);
    d.cmd(Command::Open);
    d.send("Hello");
    let session = Session {
        id: "507f1f77bcf86cd799439011".into(),
        extra: j(r#"{"userId": "v_anon"}"#),
    };
    d.finish(Outcome::Session(Ok(session.clone())));
    d.finish(Outcome::Conversation(Ok(Conversation {
        id: "t1".into(),
        extra: Json::Null,
    })));
    d.finish(sent());
    assert!(d.engine.visitor_wrote());
    d.job = None;
    d.cmd(contact("ada@example.com", None));
    d.now += 10_000.0;
    d.cmd(Command::Tick);
    let req = d.request(&p).expect("the session is told");
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.gleap.io/v3/sessions");
    assert_eq!(req.header_value("Project"), Some("PROJECT"));
    assert_eq!(
        req.body,
        Some(j(r#"{"userId": "v_anon", "email": "ada@example.com"}"#))
    );
    d.finish(Outcome::Session(Ok(Session {
        extra: j(r#"{"userId": "v_anon", "email": "ada@example.com"}"#),
        ..session
    })));
    assert_eq!(
        d.engine.conversation().map(|c| c.id.as_str()),
        Some("t1"),
        "the conversation stays"
    );
}

#[test]
fn the_bot_contract_carries_the_email_in_session_email() {
    let p = BotProvider::new("https://bot.example.com/hook", None, None, || {
        1_700_000_000_000.0
    });
    let mut d = Drive::new(&p, None);
    d.cmd(Command::Open);
    d.cmd(contact("ada@example.com", Some("Ada")));
    d.send("Hello");
    // Walk the plans until the one that reaches the bot.
    for _ in 0..3 {
        if let Some(req) = d.request(&p) {
            let body = req.body.expect("a JSON body");
            let session = body.get("session").expect("the contract's session");
            assert_eq!(session.get("email"), Some(&Json::from("ada@example.com")));
            assert_eq!(session.get("name"), Some(&Json::from("Ada")));
            return;
        }
        let (g, job) = d.job.take().unwrap();
        let outcome = match job.plan(&p) {
            Planned::Session(Plan::Ready(r)) => Outcome::Session(r),
            Planned::Conversation(Plan::Ready(r)) => Outcome::Conversation(r),
            _ => panic!("unexpected plan"),
        };
        d.job = Some((g, job));
        d.finish(outcome);
    }
    panic!("the message never reached the bot");
}

#[test]
fn the_relay_is_told_with_the_visitors_token() {
    let p = RelayProvider::new("https://support.example.com/helpwire");
    let token = Session {
        id: "v_1".into(),
        extra: Json::object([(TOKEN, Json::from("tok_1"))]),
    };
    let mut d = Drive::new(&p, None);
    d.cmd(Command::Open);
    d.send("Hello");
    d.finish(Outcome::Session(Ok(token)));
    d.finish(Outcome::Conversation(Ok(Conversation {
        id: "c1".into(),
        extra: Json::Null,
    })));
    d.finish(sent());
    // The relay's list of the visitor's conversations, read once the panel is open.
    assert!(matches!(d.job, Some((_, Job::List { .. }))), "{:?}", d.job);
    d.finish(Outcome::Listed(Ok(Default::default())));
    d.job = None;
    d.cmd(contact("ada@example.com", None));
    d.now += 10_000.0;
    d.cmd(Command::Tick);
    let req = d.request(&p).expect("the visitor is renewed");
    assert_eq!(req.url, "https://support.example.com/helpwire/v1/visitors");
    assert_eq!(req.header_value("Authorization"), Some("Bearer tok_1"));
    assert_eq!(req.body, Some(j(r#"{"email": "ada@example.com"}"#)));
}

#[test]
fn the_same_details_again_change_nothing_and_ask_nothing() {
    let p = GleapProvider::new("https://api.gleap.io", Some("KEY"), Some("PROJECT"));
    let mut d = Drive::new(&p, None);
    d.cmd(Command::Open);
    d.cmd(contact("ada@example.com", Some("Ada")));
    let before = d.persisted;
    d.cmd(contact("ada@example.com", None));
    d.cmd(Command::Contact {
        email: None,
        name: None,
    });
    assert_eq!(d.persisted, before, "nothing new to keep");
    assert_eq!(d.engine.visitor().name.as_deref(), Some("Ada"), "kept");
    assert!(d.job.is_none());
}

#[test]
fn the_details_and_a_dismissed_offer_survive_a_reload() {
    let p = GleapProvider::new("https://api.gleap.io", Some("KEY"), Some("PROJECT"));
    let mut d = Drive::new(&p, None);
    d.cmd(Command::Open);
    d.cmd(Command::DismissOffer);
    assert!(d.engine.offer_dismissed());
    d.cmd(contact("ada@example.com", Some("Ada")));
    let stored = d.engine.snapshot().to_json();
    let restored = Snapshot::from_json(&stored).unwrap();
    let again = Drive::new(&p, Some(restored));
    assert!(again.engine.offer_dismissed());
    assert_eq!(
        again.engine.visitor().email.as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(again.engine.visitor().name.as_deref(), Some("Ada"));

    // A snapshot from before the offer existed reads as "not dismissed".
    let old = stored.replace(",\"offer_dismissed\":true", "");
    assert!(!old.contains("offer_dismissed"), "{old}");
    assert!(!Snapshot::from_json(&old).unwrap().offer_dismissed);
}

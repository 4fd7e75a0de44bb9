//! The push channel: Eusate's helpdesk conversation over Socket.IO, as a [`PushChannel`].

use super::envelope::parse_envelope;
use super::error::EusateError;
use super::event::{
    enter_customer_support, enter_support, parse_server_event, support_message, ServerEventKind,
};
use super::events;
use super::message::id_string;
use crate::json::Json;
use crate::model::Author;
use crate::protocol::push::{PushChannel, PushInput, PushOutput};
use crate::protocol::socketio::{
    ClientConfig, ClientError, ConnectionState, IncomingEvent, Next, Report, SocketIoClient,
};
use crate::protocol::{Outgoing, ProviderError, Sent};
use crate::time::{earliest, parse_rfc3339};

/// Timing of the channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelConfig {
    /// A sent message without an acknowledgement or answer after this long, on a connection that
    /// stayed up, is reported as a transient failure ([`ProviderError::Timeout`]): the engine
    /// sends it again, as the event may have been lost.
    pub confirm_timeout_ms: f64,
    /// How long later messages wait for the answer that gives a new conversation its id before
    /// they are sent anyway (the first of them then opens a conversation of its own).
    pub open_timeout_ms: f64,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            confirm_timeout_ms: 15_000.0,
            open_timeout_ms: 60_000.0,
        }
    }
}

#[derive(Clone, Debug)]
struct InFlight {
    local_id: String,
    ack_id: Option<u64>,
    confirm_at: f64,
}

/// Eusate's helpdesk conversation over Socket.IO, as a pure state machine.
///
/// Driven through [`PushChannel`]: the WebSocket's life, the visitor's messages and the time
/// in; transport outputs for the web layer and the others for the engine out.
#[derive(Clone, Debug)]
pub struct EusateChannel {
    client: SocketIoClient,
    config: ChannelConfig,
    session_id: String,
    conversation: Option<String>,
    /// Closed by support: never adopted again from a stale engine.
    closed: Vec<String>,
    /// A conversation is being opened; later messages wait until this time for its id.
    opening_until: Option<f64>,
    /// Messages waiting for the connection or the new conversation's id.
    queue: Vec<Outgoing>,
    in_flight: Vec<InFlight>,
    /// Recently sent (local id, text), to recognise the server's echo of them.
    recent: Vec<(String, String)>,
}

impl EusateChannel {
    pub fn new(
        client: ClientConfig,
        session_id: &str,
        conversation: Option<&str>,
        config: ChannelConfig,
        seed: u64,
    ) -> Self {
        EusateChannel {
            client: SocketIoClient::new(client, seed),
            config,
            session_id: session_id.to_string(),
            conversation: match conversation {
                Some(c) if !c.is_empty() => Some(c.to_string()),
                _ => None,
            },
            closed: Vec::new(),
            opening_until: None,
            queue: Vec::new(),
            in_flight: Vec::new(),
            recent: Vec::new(),
        }
    }

    /// Makes the next message go to `conversation` (`None`: it opens a new one), whatever the
    /// channel learned before, and stops waiting for an earlier opening's id. For a driver
    /// that keeps one channel for all of a visitor's conversations and sends one message at a
    /// time (the relay); the widget leaves it alone, so there the id learned from the server
    /// wins over a stale engine's.
    pub fn retarget(&mut self, conversation: Option<&str>) -> Vec<PushOutput> {
        let mut out = Vec::new();
        self.opening_until = None;
        match conversation.filter(|c| !c.is_empty()) {
            Some(id) => self.adopt(id.to_string(), &mut out),
            None => self.conversation = None,
        }
        out
    }

    fn adopt(&mut self, id: String, out: &mut Vec<PushOutput>) {
        if self.conversation.as_deref() == Some(id.as_str()) {
            return;
        }
        self.conversation = Some(id.clone());
        if self.client.is_connected() {
            self.emit(events::ENTER_SUPPORT, enter_support(&id), out);
        }
    }

    /// Sends queued messages while connected and no conversation is being opened.
    fn flush(&mut self, now: f64, out: &mut Vec<PushOutput>) {
        while self.client.is_connected() && self.opening_until.is_none() {
            // A short list: removing from the front costs nothing, and a VecDeque would link its
            // ring-buffer code for this one use.
            if self.queue.is_empty() {
                break;
            }
            let message = self.queue.remove(0);
            self.emit_support(message, now, out);
        }
    }

    fn emit_support(&mut self, message: Outgoing, now: f64, out: &mut Vec<PushOutput>) {
        let payload = support_message(
            &self.session_id,
            &message.text,
            self.conversation.as_deref(),
        );
        match self.client.emit_json(events::SUPPORT, &payload, true) {
            Ok(emitted) => {
                out.push(PushOutput::Send(emitted.frame));
                if self.conversation.is_none() {
                    self.opening_until = Some(now + self.config.open_timeout_ms);
                }
                self.in_flight.push(InFlight {
                    local_id: message.local_id.clone(),
                    ack_id: emitted.ack_id,
                    confirm_at: now + self.config.confirm_timeout_ms,
                });
                self.recent
                    .push((message.local_id, message.text.trim().to_string()));
                // One pushed at a time: at most one too many.
                if self.recent.len() > 8 {
                    self.recent.remove(0);
                }
            }
            Err(ClientError::TooLarge { size, max }) => out.push(PushOutput::SendFailed {
                local_id: message.local_id,
                error: ProviderError::Status {
                    status: 413,
                    detail: format!("message of {size} bytes exceeds Eusate's limit of {max}"),
                    retry_after: None,
                },
            }),
            // The client's one other refusal (flush sends only while connected): not formatted
            // through ClientError's Display, which the bundle then does not link.
            Err(_) => out.push(PushOutput::SendFailed {
                local_id: message.local_id,
                error: ProviderError::Network("not connected to Eusate".into()),
            }),
        }
    }

    /// An emit without acknowledgement (room joins); failures only while disconnected, when
    /// the next `Connected` repeats it anyway.
    fn emit(&mut self, name: &str, payload: String, out: &mut Vec<PushOutput>) {
        if let Ok(emitted) = self.client.emit_json(name, &payload, false) {
            out.push(PushOutput::Send(emitted.frame));
        }
    }

    /// Fails everything waiting or unconfirmed with `error`.
    fn fail_pending(&mut self, error: &ProviderError, out: &mut Vec<PushOutput>) {
        self.opening_until = None;
        for f in std::mem::take(&mut self.in_flight) {
            out.push(PushOutput::SendFailed {
                local_id: f.local_id,
                error: error.clone(),
            });
        }
        for m in std::mem::take(&mut self.queue) {
            out.push(PushOutput::SendFailed {
                local_id: m.local_id,
                error: error.clone(),
            });
        }
    }

    /// The client's report, after the transport work it already wrote into `out`.
    fn absorb(&mut self, report: Report, now: f64, out: &mut Vec<PushOutput>) {
        match report {
            Report::Nothing => {}
            Report::Connected { .. } => {
                out.push(PushOutput::Connected);
                // Rooms do not survive a reconnect: join them again, then send what waited.
                self.emit(
                    events::ENTER_CUSTOMER_SUPPORT,
                    enter_customer_support(&self.session_id),
                    out,
                );
                if let Some(id) = self.conversation.clone() {
                    self.emit(events::ENTER_SUPPORT, enter_support(&id), out);
                }
                self.flush(now, out);
            }
            Report::Disconnected { reason, next } => {
                // Transient: retried, never shown, so the reason is not formatted into it.
                let error = ProviderError::Network("Eusate connection lost".into());
                self.fail_pending(&error, out);
                out.push(PushOutput::Disconnected(reason));
                match next {
                    Next::Stop => {}
                    Next::ReconnectAt { at, attempt } => {
                        out.push(PushOutput::ReconnectAt { at, attempt })
                    }
                    Next::GaveUp { attempts } => {
                        out.push(PushOutput::Error(ProviderError::Network(format!(
                            "could not reach Eusate after {attempts} attempts"
                        ))))
                    }
                }
            }
            Report::Ack { id, args } => {
                if let Some(i) = self.in_flight.iter().position(|f| f.ack_id == Some(id)) {
                    let f = self.in_flight.remove(i);
                    out.push(acknowledged(f.local_id, &args));
                }
            }
            Report::Event(event) => self.on_event(event, now, out),
            // A Socket.IO packet the client could not read: a console warning, nothing else.
            Report::Dropped(e) => out.push(PushOutput::Error(ProviderError::Malformed {
                reason: "Socket.IO packet ignored".into(),
                body: e.to_string(),
            })),
            // Stopped for good: what waits fails with the refusal.
            Report::Refused { message, .. } => {
                let error =
                    ProviderError::Config(format!("Eusate refused the connection: {message}"));
                self.fail_pending(&error, out);
                out.push(PushOutput::Error(error));
            }
        }
    }

    #[inline(never)]
    fn on_event(&mut self, event: IncomingEvent, now: f64, out: &mut Vec<PushOutput>) {
        if let Some(id) = event.ack_id {
            if let Ok(frame) = self.client.ack_json(id, "[]") {
                out.push(PushOutput::Send(frame));
            }
        }
        let Some(kind) = ServerEventKind::from_name(&event.name) else {
            // Not a message event (e.g. an answer to a room join): only errors matter.
            if let Err(e) = parse_envelope(&event.args).and_then(|env| env.check()) {
                if matches!(e, EusateError::Status { .. }) {
                    out.push(PushOutput::Error(e.into()));
                }
            }
            return;
        };
        let parsed = match parse_server_event(kind, &event.args, now) {
            Ok(mut p) => {
                for e in std::mem::take(&mut p.problems) {
                    out.push(PushOutput::Error(e.into()));
                }
                p
            }
            Err(e) => {
                let error = ProviderError::from(e);
                let refuses_send = kind == ServerEventKind::Answer
                    && matches!(error, ProviderError::Status { .. })
                    && !self.in_flight.is_empty();
                if refuses_send {
                    // The server refused the oldest message (e.g. too many open conversations).
                    let f = self.in_flight.remove(0);
                    self.opening_until = None;
                    out.push(PushOutput::SendFailed {
                        local_id: f.local_id,
                        error,
                    });
                    self.flush(now, out);
                } else {
                    out.push(PushOutput::Error(error));
                }
                return;
            }
        };
        match kind {
            ServerEventKind::Answer | ServerEventKind::AgentReply => {
                let ours = match (&parsed.conversation_id, &self.conversation) {
                    (Some(theirs), Some(mine)) => theirs == mine,
                    _ => true,
                };
                if kind == ServerEventKind::Answer && ours && !self.in_flight.is_empty() {
                    // An answer means the question arrived.
                    let f = self.in_flight.remove(0);
                    out.push(delivered(f.local_id));
                }
                if let (Some(id), None) = (&parsed.conversation_id, &self.conversation) {
                    if !self.closed.contains(id) {
                        let id = id.clone();
                        self.opening_until = None;
                        out.push(PushOutput::ConversationAssigned(id.clone()));
                        self.adopt(id, out);
                    }
                }
                let mut messages = parsed.messages;
                for m in &mut messages {
                    if m.author == Author::Visitor {
                        let text = m.body.plain_text();
                        if let Some(i) = self.recent.iter().position(|(_, t)| *t == text.trim()) {
                            m.local_id = Some(self.recent.remove(i).0);
                        }
                    }
                }
                if !messages.is_empty() {
                    out.push(PushOutput::Messages {
                        conversation_id: parsed.conversation_id.clone(),
                        messages,
                    });
                }
                self.flush(now, out);
            }
            ServerEventKind::Closed => {
                out.push(PushOutput::Messages {
                    conversation_id: parsed.conversation_id.clone(),
                    messages: parsed.messages,
                });
                // Another conversation of the visitor's (the customer's room carries them all)
                // is reported too: the engine marks it in its list.
                let closed = parsed.conversation_id.or_else(|| self.conversation.clone());
                if let Some(id) = closed {
                    if self.conversation.as_deref() == Some(id.as_str()) {
                        self.conversation = None;
                    }
                    self.closed.push(id.clone());
                    out.push(PushOutput::ConversationClosed(id));
                }
            }
        }
    }
}

impl EusateChannel {
    /// Socket timers, unconfirmed sends, and a conversation id that never came.
    fn tick_into(&mut self, now: f64, out: &mut Vec<PushOutput>) {
        let report = self.client.tick(now, out);
        self.absorb(report, now, out);
        if self.client.is_connected() {
            // Neither an ack nor an answer: the event may have been lost. Report it as a
            // transient failure so the engine sends again — a rare duplicate (if the server got
            // it and only the ack was lost) is better than a message shown as sent and lost.
            let mut i = 0;
            while i < self.in_flight.len() {
                if self.in_flight[i].confirm_at <= now {
                    out.push(PushOutput::SendFailed {
                        local_id: self.in_flight.remove(i).local_id,
                        error: ProviderError::Timeout,
                    });
                } else {
                    i += 1;
                }
            }
        }
        if self.opening_until.is_some_and(|t| t <= now) {
            self.opening_until = None;
            self.flush(now, out);
        }
    }

    /// The channel's own conversation id, learned from the server, wins over the engine's.
    fn send_into(
        &mut self,
        message: &Outgoing,
        conversation_id: Option<&str>,
        now: f64,
        out: &mut Vec<PushOutput>,
    ) {
        if let Some(id) = conversation_id.filter(|c| !c.is_empty()) {
            if self.conversation.is_none() && !self.closed.iter().any(|c| c == id) {
                self.adopt(id.to_string(), out);
            }
        }
        match self.client.state() {
            ConnectionState::Waiting { .. } => {
                out.push(PushOutput::SendFailed {
                    local_id: message.local_id.clone(),
                    error: ProviderError::Network("not connected to Eusate; reconnecting".into()),
                });
                return;
            }
            ConnectionState::Idle => {
                self.queue.push(message.clone());
                self.client.connect(now, out);
                return;
            }
            ConnectionState::Opening | ConnectionState::Joining => {
                self.queue.push(message.clone());
                return;
            }
            ConnectionState::Connected => {}
        }
        self.queue.push(message.clone());
        self.flush(now, out);
    }
}

impl PushChannel for EusateChannel {
    fn step(&mut self, input: PushInput<'_>, now: f64) -> Vec<PushOutput> {
        let mut out = Vec::new();
        let report = match input {
            PushInput::Connect => {
                self.client.connect(now, &mut out);
                Report::Nothing
            }
            PushInput::Send(message, conversation_id) => {
                self.send_into(message, conversation_id, now, &mut out);
                Report::Nothing
            }
            // The server speaks first (its handshake): the client has nothing to do yet
            // ([`SocketIoClient::on_transport_open`] reports nothing). Attachments of a binary
            // packet the client does not support are ignored ([`SocketIoClient::on_binary`]).
            PushInput::Open | PushInput::Binary => Report::Nothing,
            PushInput::Text(frame) => self.client.on_text(frame, now, &mut out),
            PushInput::Close(reason) => self.client.on_transport_close(reason, now, &mut out),
            PushInput::Error(message) => self.client.on_transport_error(message, now, &mut out),
            PushInput::Tick => {
                self.tick_into(now, &mut out);
                Report::Nothing
            }
            // Leaves the namespace, then closes the socket.
            PushInput::Leave => self.client.close(&mut out),
        };
        self.absorb(report, now, &mut out);
        out
    }

    fn next_deadline(&self) -> Option<f64> {
        let mut at = earliest(self.client.next_deadline(), self.opening_until);
        for f in &self.in_flight {
            at = earliest(at, Some(f.confirm_at));
        }
        at
    }
}

/// Delivered, with the stored message's id and time when the ack carries them (an envelope
/// whose `data` is the customer's stored message), so a later REST read dedupes by id.
#[inline(never)]
fn acknowledged(local_id: String, args: &[Json]) -> PushOutput {
    if let Ok(e) = parse_envelope(args) {
        let stored = &e.data;
        if (200..300).contains(&e.status_code)
            && stored.get("sender").and_then(Json::as_str) == Some("customer")
        {
            if let Some(remote_id) = stored.get("id").and_then(id_string) {
                let created_at =
                    (stored.get("date_created").and_then(Json::as_str)).and_then(parse_rfc3339);
                return delivered_as(local_id, remote_id, created_at);
            }
        }
    }
    delivered(local_id)
}

fn delivered(local_id: String) -> PushOutput {
    // Eusate does not return the stored message's id to the sender.
    let remote_id = local_id.clone();
    delivered_as(local_id, remote_id, None)
}

fn delivered_as(local_id: String, remote_id: String, created_at: Option<f64>) -> PushOutput {
    PushOutput::Delivered {
        sent: Sent {
            remote_id,
            created_at,
            replies: Vec::new(),
            warnings: Vec::new(),
            presence: Default::default(),
        },
        local_id,
    }
}

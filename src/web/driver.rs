//! Runs the engine in the browser: performs its effects (jobs through the executor, storage,
//! events, one wake-up timer) and feeds the outcomes back. No view code, no protocol code.

use crate::web::browser;
#[cfg(stream)]
use crate::web::event_stream::{EventStream, StreamNews};
use crate::web::executor::Executor;
#[cfg(push)]
use crate::web::socket_driver::SocketDriver;
use helpwire_core::engine::storage::Store;
use helpwire_core::engine::{Command, Effect, Engine, Job, Outcome, Planned, WidgetEvent};
#[cfg(push)]
use helpwire_core::protocol::push::PushOutput;
#[cfg(stream)]
use helpwire_core::protocol::relay::{RelayProvider, StreamEvent, TOKEN};
use helpwire_core::protocol::{HttpRequest, HttpResponse, Plan, Provider, ProviderError};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Receives widget events for the site's listeners: (event name, detail).
pub type EventSink = Rc<dyn Fn(&WidgetEvent)>;

/// What the driver needs to do its work.
pub struct Driver {
    provider: Rc<dyn Provider>,
    executor: Executor,
    store: Rc<dyn Store>,
    storage_key: String,
    events: EventSink,
    timer: RefCell<Option<TimeoutHandle>>,
    stopped: Cell<bool>,
    /// Push backends (`cfg(push)`, see build.rs; no other build links the socket driver): the
    /// live socket, and which job each message sent over it belongs to.
    #[cfg(push)]
    socket: RefCell<Option<SocketDriver>>,
    /// A list, not a hash map: a handful are in flight at most, and a map links SipHash and its
    /// random keys into every bundle.
    #[cfg(push)]
    socket_sends: RefCell<Vec<(String, u64)>>,
    /// A check of which tabs are still open is under way.
    checking_tabs: Cell<bool>,
    /// The engine changed since storage was last written.
    unsaved: Cell<bool>,
    /// The relay, when the site uses it: its event stream is followed.
    #[cfg(stream)]
    relay: Option<RelayProvider>,
    /// The followed event stream and the token it was opened with (the stream stays here,
    /// stopped, after a refusal, so that the same token is not tried again).
    #[cfg(stream)]
    stream: RefCell<Option<(String, EventStream)>>,
    /// The followed stream is up: the engine was told so.
    #[cfg(stream)]
    stream_up: Cell<bool>,
}

/// Prefix of the Web Lock each tab holds while its widget runs (until the tab closes or the site
/// calls `destroy()`).
pub const TAB_LOCK_PREFIX: &str = "helpwire-tab:";

impl Driver {
    pub fn new(
        provider: Rc<dyn Provider>,
        executor: Executor,
        store: Rc<dyn Store>,
        storage_key: String,
        events: EventSink,
    ) -> Self {
        Driver {
            provider,
            executor,
            store,
            storage_key,
            events,
            timer: RefCell::new(None),
            stopped: Cell::new(false),
            #[cfg(push)]
            socket: RefCell::new(None),
            #[cfg(push)]
            socket_sends: RefCell::new(Vec::new()),
            checking_tabs: Cell::new(false),
            unsaved: Cell::new(false),
            #[cfg(stream)]
            relay: None,
            #[cfg(stream)]
            stream: RefCell::new(None),
            #[cfg(stream)]
            stream_up: Cell::new(false),
        }
    }

    /// Follows `relay`'s event stream while the visitor has a conversation there.
    #[cfg(stream)]
    pub fn with_event_stream(self, relay: RelayProvider) -> Self {
        Driver {
            relay: Some(relay),
            ..self
        }
    }

    /// Closes the push channel's socket, if open; the next job that needs one opens another.
    #[cfg(push)]
    fn close_socket(&self) {
        if let Some(socket) = self.socket.borrow_mut().take() {
            socket.stop();
        }
        self.socket_sends.borrow_mut().clear();
    }

    /// Stops all further work (destroy): no timer, no new jobs, results ignored.
    pub fn stop(&self) {
        self.stopped.set(true);
        if let Some(t) = self.timer.borrow_mut().take() {
            t.clear();
        }
        #[cfg(push)]
        if let Some(socket) = self.socket.borrow_mut().take() {
            socket.stop();
        }
        #[cfg(stream)]
        self.stream.take();
    }
}

/// The handle components and the JS API use: a `Copy` pair of the engine's state and the driver.
#[derive(Clone, Copy)]
pub struct Chat {
    /// Read by components; changed only through [`Chat::dispatch`].
    pub engine: RwSignal<Engine>,
    driver: StoredValue<Rc<Driver>, LocalStorage>,
}

impl Chat {
    pub fn new(engine: Engine, driver: Driver) -> Self {
        Chat {
            engine: RwSignal::new(engine),
            driver: StoredValue::new_local(Rc::new(driver)),
        }
    }

    /// Applies a command and performs what the engine asks for.
    pub fn dispatch(self, command: Command) {
        let Some(driver) = self.driver.try_get_value() else {
            return;
        };
        if driver.stopped.get() {
            return;
        }
        let now = browser::now();
        let mut effects = Vec::new();
        if self
            .engine
            .try_update(|e| effects = e.handle(command, now))
            .is_none()
        {
            return;
        }
        for effect in effects {
            self.perform(&driver, effect, now);
        }
        #[cfg(stream)]
        self.follow_stream(&driver);
        let foreign = self.engine.try_with_untracked(Engine::has_foreign_pending) == Some(true);
        if foreign && !driver.checking_tabs.get() {
            self.check_tabs(&driver, 2_000);
        }
    }

    /// Tells the engine, after `delay_ms`, which tabs are still open (from the Web Locks they
    /// hold), so that messages of a closed tab are adopted and sent.
    fn check_tabs(self, driver: &Rc<Driver>, delay_ms: u32) {
        driver.checking_tabs.set(true);
        let driver = driver.clone();
        leptos::task::spawn_local(async move {
            browser::sleep(delay_ms).await;
            let live = browser::held_locks(TAB_LOCK_PREFIX).await;
            driver.checking_tabs.set(false);
            self.dispatch(Command::TabsAlive(live));
        });
    }

    /// Asks at once which tabs are still open: at start, this tab adopts what closed tabs left
    /// undelivered.
    pub(crate) fn check_open_tabs(self) {
        if let Some(driver) = self.driver.try_get_value() {
            self.check_tabs(&driver, 0);
        }
    }

    /// Sends the visitor's `text` under a fresh id. Returns whether the outbox took it: an empty
    /// or too long text (or a stopped widget) is refused, and the composer then keeps it.
    pub(crate) fn send(self, text: String) -> bool {
        let local_id = browser::random_id("m");
        self.dispatch(Command::Send {
            text,
            local_id: local_id.clone(),
        });
        self.engine.try_with_untracked(|e| e.accepted(&local_id)) == Some(true)
    }

    /// The executor the driver runs jobs with (`None` once the widget is gone).
    #[cfg(feature = "local")]
    pub(crate) fn executor(self) -> Option<Executor> {
        Some(self.driver.try_get_value()?.executor.clone())
    }

    /// Writes now what is not yet stored (the page is going away).
    pub(crate) fn flush(self) {
        if let Some(driver) = self.driver.try_get_value() {
            self.save(&driver);
        }
    }

    /// Stops the driver (timer and jobs).
    pub fn stop(self) {
        if let Some(d) = self.driver.try_get_value() {
            self.save(&d);
            d.stop();
        }
    }

    fn perform(self, driver: &Rc<Driver>, effect: Effect, now: f64) {
        match effect {
            Effect::Run { generation, job } => {
                if self.route_to_socket(driver, generation, &job) {
                    return;
                }
                let driver = driver.clone();
                leptos::task::spawn_local(async move {
                    // On the next task: the view shows the visitor's message first.
                    browser::next_task().await;
                    // Nothing leaves before it is stored (the outbox survives a closed tab).
                    self.save(&driver);
                    let outcome = run_job(&*driver.provider, &driver.executor, *job).await;
                    self.dispatch(Command::Finished {
                        generation,
                        outcome,
                    });
                });
            }
            Effect::Persist => self.save_soon(driver),
            Effect::ClearStorage => {
                // Forgotten: a write still due must not bring the visitor back.
                driver.unsaved.set(false);
                let _ = driver.store.remove(&driver.storage_key);
                // The visitor was forgotten: their socket session goes too.
                #[cfg(push)]
                driver.close_socket();
            }
            // The socket followed the conversation left behind (its sends went there).
            #[cfg(conversations)]
            Effect::Switched =>
            {
                #[cfg(push)]
                driver.close_socket()
            }
            Effect::Emit(event) => (driver.events)(&event),
            Effect::Warn(text) => browser::warn(&format!("Helpwire: {text}")),
            Effect::WakeAt(at) => {
                if let Some(t) = driver.timer.borrow_mut().take() {
                    t.clear();
                }
                let delay = (at - now).max(0.0);
                let handle = set_timeout_with_handle(
                    move || self.dispatch(Command::Tick),
                    std::time::Duration::from_millis(delay as u64),
                )
                .ok();
                *driver.timer.borrow_mut() = handle;
            }
        }
    }
}

impl Chat {
    /// Writes the snapshot once the current work is done (on the next task, after the view has
    /// updated), however many changes that work made: typing a message writes storage once and
    /// does not hold up showing it. Sends, `pagehide` and `destroy` write at once.
    fn save_soon(self, driver: &Rc<Driver>) {
        if driver.unsaved.replace(true) {
            return;
        }
        let driver = driver.clone();
        leptos::task::spawn_local(async move {
            browser::next_task().await;
            self.save(&driver)
        });
    }

    /// Writes the snapshot now if anything is unsaved.
    fn save(self, driver: &Driver) {
        if !driver.unsaved.replace(false) {
            return;
        }
        if let Some(json) = self.engine.try_with_untracked(|e| e.snapshot().to_json()) {
            let _ = driver.store.set(&driver.storage_key, &json);
        }
    }

    /// Push backends send over their socket (opened on first need) instead of HTTP; returns
    /// whether the job was taken. Reads still go over HTTP, and also open the socket so that
    /// answers are pushed from then on.
    #[cfg(push)]
    fn route_to_socket(self, driver: &Rc<Driver>, generation: u64, job: &Job) -> bool {
        let (session, conversation) = match job {
            Job::Send {
                session,
                conversation,
                ..
            }
            | Job::Fetch {
                session,
                conversation,
                ..
            } => (session, conversation),
            _ => return false,
        };
        // A light check of another conversation of the list is only a read.
        #[cfg(conversations)]
        if !self
            .engine
            .try_with_untracked(|e| e.shows(&conversation.id))
            .unwrap_or(false)
        {
            return false;
        }
        if driver.socket.borrow().is_none() {
            // Seeds the reconnect jitter only, which need not be unpredictable.
            let seed = (js_sys::Math::random() * u32::MAX as f64) as u64;
            match driver
                .provider
                .push_channel(session, Some(conversation), seed)
            {
                None => return false,
                Some(Err(e)) => {
                    browser::warn(&format!("Helpwire: cannot open the push channel: {e}"));
                    return false;
                }
                Some(Ok(channel)) => {
                    let sink = Rc::new(move |output| self.on_channel(output));
                    *driver.socket.borrow_mut() = Some(SocketDriver::start(channel, sink));
                }
            }
        }
        let Job::Send {
            message,
            conversation,
            ..
        } = job
        else {
            return false;
        };
        {
            // A send again (a retry) belongs to its new job only.
            // At most one entry per message (each push replaces the last), in no order: found
            // and swapped out, as `on_channel` does, instead of a `retain`.
            let mut sends = driver.socket_sends.borrow_mut();
            if let Some(at) = sends.iter().position(|(id, _)| *id == message.local_id) {
                sends.swap_remove(at);
            }
            sends.push((message.local_id.clone(), generation));
        }
        let conversation_id = Some(conversation.id.as_str()).filter(|id| !id.is_empty());
        // Nothing leaves before it is stored (the outbox survives a closed tab).
        self.save(driver);
        if let Some(socket) = driver.socket.borrow().as_ref() {
            socket.send(message, conversation_id);
        }
        true
    }

    /// Without a socket client, every job goes over HTTP.
    #[cfg(not(push))]
    fn route_to_socket(self, _: &Rc<Driver>, _: u64, _: &Job) -> bool {
        false
    }

    /// A report from the push channel. Dispatched on a fresh task: the channel may be in the
    /// middle of a call into the driver when it reports.
    #[cfg(push)]
    fn on_channel(self, output: PushOutput) {
        leptos::task::spawn_local(async move {
            let Some(driver) = self.driver.try_get_value() else {
                return;
            };
            let finished = |local_id: String, result| {
                let generation = {
                    let mut sends = driver.socket_sends.borrow_mut();
                    let at = sends.iter().position(|(id, _)| *id == local_id);
                    at.map(|at| sends.swap_remove(at).1)
                };
                if let Some(generation) = generation {
                    self.dispatch(Command::Finished {
                        generation,
                        outcome: Outcome::Sent { local_id, result },
                    });
                }
            };
            match output {
                PushOutput::Messages {
                    conversation_id,
                    messages,
                } => {
                    // The socket may carry the visitor's other conversations too (Eusate pushes
                    // to the customer's room): those are the light check's to read.
                    #[cfg(conversations)]
                    if conversation_id.is_some_and(|id| {
                        !self
                            .engine
                            .try_with_untracked(|e| e.shows(&id))
                            .unwrap_or(false)
                    }) {
                        return;
                    }
                    #[cfg(not(conversations))]
                    let _ = conversation_id;
                    self.dispatch(Command::Received(messages))
                }
                PushOutput::ConversationAssigned(id) => {
                    self.dispatch(Command::ConversationAssigned(id))
                }
                PushOutput::ConversationClosed(id) => {
                    self.dispatch(Command::ConversationClosed(id))
                }
                PushOutput::Delivered { local_id, sent } => finished(local_id, Ok(sent)),
                PushOutput::SendFailed { local_id, error } => finished(local_id, Err(error)),
                PushOutput::Connected => self.dispatch(Command::PushConnected(true)),
                PushOutput::ReconnectAt { .. } => self.dispatch(Command::PushConnected(false)),
                PushOutput::Error(e) => browser::warn(&format!("Helpwire: {e}")),
                // Transport work is done by the socket driver itself.
                _ => {}
            }
        });
    }
}

/// The relay's event stream (`cfg(stream)`, see build.rs): followed while the visitor has a
/// conversation, with the token that owns it.
#[cfg(stream)]
impl Chat {
    /// Opens, reopens (the token changed: a new conversation brings a new one) or stops the
    /// stream, after each command.
    fn follow_stream(self, driver: &Rc<Driver>) {
        let Some(relay) = &driver.relay else {
            return;
        };
        // `Some(wanted)` when the token to follow changed: the new token and its stream's
        // request, or `None` (nothing to follow).
        let change = self.engine.try_with_untracked(|e| {
            let data = e.snapshot();
            let session = data
                .session
                .as_ref()
                .filter(|_| data.conversation.is_some());
            let token = session.and_then(|s| s.extra.get(TOKEN)?.as_str());
            let followed = driver.stream.borrow();
            (token != followed.as_ref().map(|(t, _)| t.as_str())).then(|| {
                let request = session.and_then(|s| relay.event_stream(s).ok());
                token.map(str::to_string).zip(request)
            })
        });
        let Some(Some(wanted)) = change else {
            return;
        };
        // Dropping the old stream stops it.
        *driver.stream.borrow_mut() = wanted.map(|(token, request)| {
            let sink = Rc::new(move |news| self.on_stream(news));
            (token, EventStream::start(request, sink))
        });
        // Last: the engine's command comes back here, and finds nothing more to change.
        if driver.stream_up.replace(false) {
            self.dispatch(Command::Streaming(false));
        }
    }

    fn on_stream(self, news: StreamNews) {
        let Some(driver) = self.driver.try_get_value() else {
            return;
        };
        let command = match news {
            StreamNews::Up | StreamNews::Down => {
                let up = matches!(news, StreamNews::Up);
                driver.stream_up.set(up);
                Command::Streaming(up)
            }
            StreamNews::Event(StreamEvent::Message {
                conversation_id,
                message,
            }) => {
                // The token may own older conversations too: only the shown one's messages.
                let shown = self.engine.try_with_untracked(|e| {
                    e.conversation().is_some_and(|c| c.id == conversation_id)
                });
                if shown != Some(true) {
                    return;
                }
                Command::Received(vec![*message])
            }
            StreamNews::Event(StreamEvent::Closed(id)) => Command::ConversationClosed(id),
        };
        self.dispatch(command);
    }
}

/// Carries out one job: the provider plans it, the executor performs its request (if it has
/// one), the plan's parser reads the answer. One wait for the four kinds of job, rather than one
/// per result type.
async fn run_job(provider: &dyn Provider, executor: &Executor, job: Job) -> Outcome {
    let planned = job.plan(provider);
    let request = match &planned {
        Planned::Session(plan) => request_of(plan),
        Planned::Conversation(plan) => request_of(plan),
        Planned::Send { plan, .. } => request_of(plan),
        Planned::Fetch(plan) => request_of(plan),
        #[cfg(listing)]
        Planned::List(plan) => request_of(plan),
    };
    // One answer whatever the kind of job, so reading it is not repeated for each: a plan
    // without a request (ready) never reads its placeholder.
    let answer = match request {
        Some(request) => executor.perform(request).await,
        None => Err(ProviderError::Network(String::new())),
    };
    match planned {
        Planned::Session(plan) => Outcome::Session(result_of(plan, &answer)),
        Planned::Conversation(plan) => Outcome::Conversation(result_of(plan, &answer)),
        Planned::Send { local_id, plan } => Outcome::Sent {
            local_id,
            result: result_of(plan, &answer),
        },
        Planned::Fetch(plan) => Outcome::Fetched(result_of(plan, &answer)),
        #[cfg(listing)]
        Planned::List(plan) => Outcome::Listed(result_of(plan, &answer)),
    }
}

/// The request `plan` needs performed, if any.
fn request_of<T>(plan: &Plan<T>) -> Option<&HttpRequest> {
    match plan {
        Plan::Request { request, .. } => Some(request),
        Plan::Ready(_) => None,
    }
}

/// The result of `plan`: ready, or its parser's reading of `answer` (the answer to the request
/// [`request_of`] gave; unread for a ready plan). Borrowed: `run_job` drops it once, not in each
/// kind's arm.
fn result_of<T>(
    plan: Plan<T>,
    answer: &Result<HttpResponse, ProviderError>,
) -> Result<T, ProviderError> {
    match (plan, answer) {
        (Plan::Ready(result), _) => result,
        (Plan::Request { parse, .. }, Ok(response)) => parse(response),
        (Plan::Request { .. }, Err(e)) => Err(e.clone()),
    }
}

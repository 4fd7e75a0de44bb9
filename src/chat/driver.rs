//! Runs the engine in the browser: performs its effects (jobs through the executor, storage,
//! events, one wake-up timer) and feeds the outcomes back. No view code, no protocol code.

use super::engine::{Command, Effect, Engine, Job, Outcome, WidgetEvent};
use super::storage::Store;
use crate::browser;
use crate::provider::executor::Executor;
use crate::provider::{Context, Provider};
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
}

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
        }
    }

    /// Stops all further work (destroy): no timer, no new jobs, results ignored.
    pub fn stop(&self) {
        self.stopped.set(true);
        if let Some(t) = self.timer.borrow_mut().take() {
            t.clear();
        }
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
    }

    /// Stops the driver (timer and jobs).
    pub fn stop(self) {
        if let Some(d) = self.driver.try_get_value() {
            d.stop();
        }
    }

    fn perform(self, driver: &Rc<Driver>, effect: Effect, now: f64) {
        match effect {
            Effect::Run { generation, job } => {
                let driver = driver.clone();
                leptos::task::spawn_local(async move {
                    let outcome = run_job(&*driver.provider, &driver.executor, *job).await;
                    self.dispatch(Command::Finished {
                        generation,
                        outcome,
                    });
                });
            }
            Effect::Persist(snapshot) => {
                let _ = driver.store.set(&driver.storage_key, &snapshot.to_json());
            }
            Effect::ClearStorage => {
                let _ = driver.store.remove(&driver.storage_key);
            }
            Effect::Emit(event) => (driver.events)(&event),
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

/// Carries out one job: the provider plans it, the executor performs it.
async fn run_job(provider: &dyn Provider, executor: &Executor, job: Job) -> Outcome {
    match job {
        Job::StartSession { visitor, previous } => Outcome::Session(
            executor
                .run(provider.start_session(&visitor, previous.as_ref()))
                .await,
        ),
        Job::OpenConversation {
            visitor,
            session,
            first,
        } => Outcome::Conversation(
            executor
                .run(provider.open_conversation(&visitor, &session, &first))
                .await,
        ),
        Job::Send {
            visitor,
            session,
            conversation,
            message,
            recent,
        } => {
            let cx = Context {
                visitor: &visitor,
                session: &session,
                conversation: &conversation,
                recent: &recent,
            };
            let result = executor.run(provider.send_message(cx, &message)).await;
            Outcome::Sent {
                local_id: message.local_id,
                result,
            }
        }
        Job::Fetch {
            visitor,
            session,
            conversation,
            cursor,
        } => {
            let cx = Context {
                visitor: &visitor,
                session: &session,
                conversation: &conversation,
                recent: &[],
            };
            Outcome::Fetched(executor.run(provider.fetch_messages(cx, &cursor)).await)
        }
    }
}

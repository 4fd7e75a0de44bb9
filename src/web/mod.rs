//! Every browser API the widget uses, in one place: fetch, WebSocket, storage, Web Locks, page
//! listeners, the clock and randomness, wired to the engine of `helpwire-core`.

pub mod attention;
pub mod browser;
pub mod driver;
/// Only bundles whose backend streams events (`cfg(stream)`, see build.rs: the relay) link it.
#[cfg(stream)]
pub(crate) mod event_stream;
pub mod executor;
pub mod languages;
pub(crate) mod listeners;
/// Only bundles whose backend pushes (`cfg(push)`, see build.rs) link the socket code.
#[cfg(push)]
pub mod socket_driver;
/// `Helpwire.testing`: only the local helpdesk has a test mode.
#[cfg(feature = "local")]
pub mod testing;

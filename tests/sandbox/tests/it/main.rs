//! End-to-end checks of the sandbox over real HTTP and WebSocket connections.
//! One test binary (modules below) keeps link time down on a 2-core machine.

mod bancroft;
mod bot;
mod common;
mod control;
mod eusate;
mod gleap;
mod gurusup;

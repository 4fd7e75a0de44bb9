//! The relay over real HTTP, against the sandbox helpdesk as its upstream. One test binary
//! (modules below) keeps link time down on a 2-core machine.

mod backends;
mod common;
mod config;
mod eusate;
mod events;
mod security;

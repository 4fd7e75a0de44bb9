//! Taking a provider's `Plan` apart, for the provider tests.
#![allow(dead_code)] // each test file uses what it needs

use helpwire_core::protocol::{HttpRequest, Parser, Plan, ProviderError};

/// The request a plan makes and its parser; panics if the plan needs no request.
pub fn request<T>(plan: Plan<T>) -> (HttpRequest, Parser<T>) {
    match plan {
        Plan::Request { request, parse } => (request, parse),
        Plan::Ready(_) => panic!("expected a request"),
    }
}

/// The result of a plan that needs no request; panics if it makes one.
pub fn ready<T: std::fmt::Debug>(plan: Plan<T>) -> Result<T, ProviderError> {
    match plan {
        Plan::Ready(r) => r,
        Plan::Request { request, .. } => panic!("expected no request, got {request:?}"),
    }
}

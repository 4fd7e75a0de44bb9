//! Runs the protocol modules' plans natively: `HttpRequest` → reqwest → `HttpResponse` → the
//! plan's parser, with a timeout, no redirects (a redirect could carry the key elsewhere), and
//! the request's `max_response_bytes` enforced while reading.

use helpwire_core::protocol::{HttpRequest, HttpResponse, Method, Plan, ProviderError};
use std::time::Duration;

#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
}

impl Upstream {
    pub fn new(timeout: Duration) -> Upstream {
        // reqwest is built without a default crypto provider (see Cargo.toml): install ring's.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent("helpwire-relay")
            .build()
            .expect("the HTTP client builds");
        Upstream { client }
    }

    /// Performs a plan: ready ones at once, requests over the network.
    pub async fn run<T>(&self, plan: Plan<T>) -> Result<T, ProviderError> {
        match plan {
            Plan::Ready(result) => result,
            Plan::Request { request, parse } => {
                let response = self.perform(&request).await?;
                parse(&response)
            }
        }
    }

    async fn perform(&self, request: &HttpRequest) -> Result<HttpResponse, ProviderError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut builder = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.to_string());
        }
        let mut response = builder.send().await.map_err(network)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u32>().ok());
        let limit = request.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large(status, limit));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large(status, limit));
            }
            body.extend_from_slice(&chunk);
        }
        let body = String::from_utf8(body).map_err(|_| ProviderError::Malformed {
            reason: "the answer is not UTF-8".into(),
            body: String::new(),
        })?;
        Ok(HttpResponse {
            status,
            retry_after,
            body,
        })
    }
}

fn network(e: reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Timeout
    } else {
        // Without the URL: it may carry identifiers.
        ProviderError::Network(e.without_url().to_string())
    }
}

fn too_large(status: u16, limit: usize) -> ProviderError {
    ProviderError::Malformed {
        reason: format!("the answer (HTTP {status}) is longer than {limit} bytes"),
        body: String::new(),
    }
}

//! Per-client-IP rate limits (API.md §1.2): three governor windows applied together, built once and
//! shared by every worker. Over any window: 429 in the error envelope with `Retry-After`.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::governor::NotUntil;
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder};
use ipnet::IpNet;

use crate::config::{ConfigError, RateLimitSettings};
use crate::error::ApiError;
use crate::net;

/// Keys requests by client IP, as [`crate::state::AppState::client_ip`] resolves it.
#[derive(Clone)]
pub struct ClientIpKey {
    trusted: Arc<Vec<IpNet>>,
}

impl KeyExtractor for ClientIpKey {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        let xff = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let ip = net::client_ip(req.peer_addr(), xff, &self.trusted)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(crate::net::client_key(ip))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        // Whole seconds, rounded up: "retry after 0 s" would invite an immediate retry.
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let body = ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "ThrottlerException: Too Many Requests",
        )
        .body();
        response
            .insert_header(("retry-after", secs.max(1).to_string()))
            .json(body)
    }
}

pub type Limit = GovernorConfig<ClientIpKey, NoOpMiddleware>;

/// The short, medium and long windows.
pub fn limits(
    settings: &RateLimitSettings,
    trusted: Arc<Vec<IpNet>>,
) -> Result<[Limit; 3], ConfigError> {
    let built: Vec<Limit> = [
        (settings.short_ttl, settings.short_limit),
        (settings.medium_ttl, settings.medium_limit),
        (settings.long_ttl, settings.long_limit),
    ]
    .into_iter()
    .filter_map(|(ttl_ms, limit)| {
        // `limit` requests at once, refilled evenly over the window.
        let period =
            Duration::from_nanos(ttl_ms.saturating_mul(1_000_000) / u64::from(limit.max(1)))
                .max(Duration::from_nanos(1));
        GovernorConfigBuilder::default()
            .key_extractor(ClientIpKey {
                trusted: trusted.clone(),
            })
            .period(period)
            .burst_size(limit)
            .finish()
    })
    .collect();
    built
        .try_into()
        .map_err(|_| ConfigError("rate limit windows and limits must be at least 1".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_a_budget_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(crate::net::client_key(a), crate::net::client_key(b));
        assert_ne!(crate::net::client_key(a), crate::net::client_key(other));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(crate::net::client_key(v4), v4);
    }
}

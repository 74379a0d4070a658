//! The connection edge, the first thing every request meets: a per-client cap on open
//! connections, a deadline on request bodies, and `HEAD` answered by the `GET` route.
//!
//! Without the first two, one authenticated client that sends headers and then trickles (or
//! withholds) its body holds a connection, and a file descriptor, for as long as it likes; enough of
//! them and `/api/health` stops answering.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{header, ConnectionType, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use futures_util::Stream;
use ipnet::IpNet;

use crate::error::ApiError;
use crate::net;
use crate::state::AppState;

/// Open connections per client, counted from accept to close.
#[derive(Clone)]
pub struct ConnectionLimits {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max: usize,
    /// Proxies pool many clients onto their connections, so they are not capped.
    trusted: Arc<Vec<IpNet>>,
}

/// Held in a connection's data while it is open; its drop gives the connection back.
struct Slot {
    limits: ConnectionLimits,
    client: IpAddr,
    /// This connection came over the cap: its requests are refused.
    over: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.limits.open.lock() {
            if let Some(n) = open.get_mut(&self.client) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.remove(&self.client);
                }
            }
        }
    }
}

impl ConnectionLimits {
    pub fn new(max: usize, trusted: Arc<Vec<IpNet>>) -> Self {
        Self {
            open: Arc::default(),
            max,
            trusted,
        }
    }

    /// For `HttpServer::on_connect`: counts the new connection against its client.
    pub fn on_connect(&self, conn: &dyn Any, data: &mut Extensions) {
        let Some(peer) = conn
            .downcast_ref::<actix_web::rt::net::TcpStream>()
            .and_then(|s| s.peer_addr().ok())
        else {
            return;
        };
        let ip = net::canonical(peer.ip());
        if net::is_trusted(ip, &self.trusted) {
            return;
        }
        let client = net::client_key(ip);
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        let n = open.entry(client).or_insert(0);
        *n += 1;
        let over = *n > self.max;
        drop(open);
        data.insert(Slot {
            limits: self.clone(),
            client,
            over,
        });
    }
}

/// A response that ends its connection.
fn closing(mut response: HttpResponse) -> HttpResponse {
    response
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    response
}

fn body_too_slow(timeout: Duration) -> HttpResponse {
    closing(
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "The request body did not arrive within {} ms (BODY_READ_TIMEOUT_MS)",
                timeout.as_millis()
            ),
        )
        .error_response(),
    )
}

/// Whether the request announces a body.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// Middleware (just inside the request id): see the module docs.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.conn_data::<Slot>().is_some_and(|s| s.over) {
        let refused = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many open connections from this address (MAX_CONNECTIONS_PER_IP); close idle \
             ones or reuse them",
        );
        return Ok(req.into_response(closing(refused.error_response())));
    }
    // The codec already knows the request is HEAD and sends no body; routing sees GET.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let timeout = req
        .app_data::<web::Data<AppState>>()
        .map(|s| Duration::from_millis(s.settings.server.body_read_timeout_ms));
    let (Some(timeout), true) = (timeout, has_body(&req)) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let expired = Rc::new(Cell::new(false));
    let payload = req.take_payload();
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Deadline {
        inner: payload,
        timer: Box::pin(tokio::time::sleep(timeout)),
        expired: expired.clone(),
    });
    req.set_payload(Payload::from(stream));
    // Whatever a handler or extractor made of the cut-off body, the answer is the 408.
    match next.call(req).await {
        Ok(res) if expired.get() => {
            let (http, _) = res.into_parts();
            Ok(ServiceResponse::new(http, body_too_slow(timeout)))
        }
        Ok(res) => Ok(res.map_into_boxed_body()),
        Err(_) if expired.get() => Err(BodyTooSlow(timeout).into()),
        Err(e) => Err(e),
    }
}

/// The 408, for when the cut-off body surfaced as an error rather than a response.
#[derive(Debug)]
struct BodyTooSlow(Duration);

impl std::fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request body too slow")
    }
}

impl ResponseError for BodyTooSlow {
    fn status_code(&self) -> StatusCode {
        StatusCode::REQUEST_TIMEOUT
    }
    fn error_response(&self) -> HttpResponse {
        body_too_slow(self.0)
    }
}

/// A request body that fails once its deadline passes.
struct Deadline {
    inner: Payload,
    timer: Pin<Box<tokio::time::Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.expired.get() {
            return Poll::Ready(None);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired.set(true);
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "request body deadline passed",
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

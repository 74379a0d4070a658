//! A WebSocket client for `/api/ws`, as a script or SDK would use it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::{HeaderName, HeaderValue};
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio_websockets::{ClientBuilder, Message, WebSocketStream};

use crate::helpers::{TestApp, DEADLINE};

/// One frame as the client sees it.
#[derive(Debug)]
pub enum Frame {
    Json(Value),
    Close(u16, String),
    /// The connection ended without a close frame.
    Gone,
}

pub struct Ws {
    stream: WebSocketStream<TcpStream>,
}

impl Ws {
    /// Connects; `key` goes in the `X-API-Key` header of the upgrade when given.
    pub async fn connect(app: &TestApp, key: Option<&str>) -> Ws {
        let stream = TcpStream::connect(app.base.trim_start_matches("http://"))
            .await
            .expect("tcp connect");
        Self::handshake(app, key, stream).await
    }

    /// Connects with a tiny receive buffer, for a client that stops reading.
    pub async fn connect_small_buffer(app: &TestApp, key: &str) -> Ws {
        let addr = app
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let stream = socket.connect(addr).await.expect("tcp connect");
        Self::handshake(app, Some(key), stream).await
    }

    async fn handshake(app: &TestApp, key: Option<&str>, stream: TcpStream) -> Ws {
        let url = format!("{}/api/ws", app.base.replacen("http://", "ws://", 1));
        let mut builder = ClientBuilder::new().uri(&url).expect("ws uri");
        if let Some(key) = key {
            builder = builder
                .add_header(
                    HeaderName::from_static("x-api-key"),
                    HeaderValue::from_str(key).expect("header"),
                )
                .expect("header");
        }
        let (stream, _) = builder.connect_on(stream).await.expect("ws upgrade");
        Ws { stream }
    }

    /// Connects and authenticates with the first frame; returns the socket and the role.
    pub async fn signed_in(app: &TestApp, key: &str) -> (Ws, String) {
        let mut ws = Ws::connect(app, None).await;
        ws.send(json!({ "type": "auth", "apiKey": key })).await;
        let frame = ws.expect("authenticated").await;
        (ws, frame["role"].as_str().unwrap_or_default().to_string())
    }

    /// Subscribes to `session` (`*` for all), to `events` or, when empty, to the default (all);
    /// returns the `subscribed` answer.
    pub async fn subscribe(&mut self, session: &str, events: &[&str]) -> Value {
        let mut frame = json!({ "type": "subscribe", "sessionId": session });
        if !events.is_empty() {
            frame["events"] = json!(events);
        }
        self.send(frame).await;
        self.expect("subscribed").await
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_raw(&frame.to_string()).await;
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.stream
            .send(Message::text(text.to_string()))
            .await
            .expect("ws send");
    }

    /// Sends a close frame and waits for the server's.
    pub async fn close(mut self) {
        let _ = self.stream.send(Message::close(None, "bye")).await;
        let _ = tokio::time::timeout(DEADLINE, async {
            while let Some(Ok(m)) = self.stream.next().await {
                if m.is_close() {
                    break;
                }
            }
        })
        .await;
    }

    /// The next frame, failing the test after [`DEADLINE`].
    pub async fn next(&mut self) -> Frame {
        self.next_within(DEADLINE)
            .await
            .expect("a WebSocket frame in time")
    }

    /// The next frame within `limit`, or `None`.
    pub async fn next_within(&mut self, limit: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()?;
            let msg = match msg {
                None | Some(Err(_)) => return Some(Frame::Gone),
                Some(Ok(m)) => m,
            };
            if let Some((code, reason)) = msg.as_close() {
                return Some(Frame::Close(code.into(), reason.to_string()));
            }
            if let Some(text) = msg.as_text() {
                let value = serde_json::from_str(text).expect("server frames are JSON");
                return Some(Frame::Json(value));
            }
            // Pings are answered by the client library; nothing to report.
        }
    }

    /// The next JSON frame, which must be of `kind`.
    pub async fn expect(&mut self, kind: &str) -> Value {
        match self.next().await {
            Frame::Json(v) if v["type"] == kind => v,
            other => panic!("expected a {kind} frame, got {other:?}"),
        }
    }

    /// The next error frame, which must carry `code`; returns its message.
    pub async fn expect_error(&mut self, code: &str) -> String {
        let frame = self.expect("error").await;
        assert_eq!(frame["code"], code, "{frame}");
        frame["message"].as_str().unwrap_or_default().to_string()
    }

    /// Skips frames until an event `event` of `session`; returns its payload's data.
    pub async fn event(&mut self, event: &str, session: &str) -> Value {
        loop {
            match self.next().await {
                Frame::Json(v)
                    if v["type"] == "event"
                        && v["payload"]["event"] == event
                        && v["payload"]["sessionId"] == session =>
                {
                    return v["payload"]["data"].clone();
                }
                Frame::Json(_) => {}
                other => panic!("socket ended while waiting for {event}: {other:?}"),
            }
        }
    }

    /// Every frame up to the answer to a ping sent now. The server answers frames in order and
    /// reads its mailbox before the next frame, so events already handed to this socket come
    /// before the pong.
    pub async fn drain(&mut self) -> Vec<Value> {
        let marker = uuid::Uuid::new_v4().to_string();
        self.send(json!({ "type": "ping", "requestId": marker }))
            .await;
        let mut seen = Vec::new();
        loop {
            match self.next().await {
                Frame::Json(v) if v["type"] == "pong" && v["requestId"] == marker.as_str() => {
                    return seen
                }
                Frame::Json(v) => seen.push(v),
                other => panic!("socket ended while draining: {other:?}"),
            }
        }
    }

    /// Waits for the server to close; returns the close code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            match self.next().await {
                Frame::Close(code, reason) => return (code, reason),
                Frame::Gone => return (1006, String::new()),
                Frame::Json(_) => {}
            }
        }
    }
}

//! A loopback stand-in for WhatsApp's WebSocket server, far enough for an unmodified
//! whatsapp-rust client to show QR codes.
//!
//! Per connection it plays the server's side of the Noise XX handshake, hands the client a
//! `<pair-device>` with all of its refs (each becomes a `PairingQrCode`), then answers every
//! iq `get`/`set` with an empty `result`, so keepalive pings succeed, until the client hangs
//! up. Nobody can scan the codes: pairing, login and messaging are out of scope.
//!
//! Its certificate chain is fake, so only builds with whatsapp-rust's
//! `danger-skip-cert-chain-verify` (the test builds) accept it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_websockets::{Message, ServerBuilder, WebSocketStream};
use whatsapp_rust::anyhow::{self, bail, Context as _};
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::bytes::BytesMut;
use whatsapp_rust::futures::{SinkExt as _, StreamExt as _};
use whatsapp_rust::wacore::framing::{encode_frame, FrameDecoder};
use whatsapp_rust::wacore::libsignal::protocol::KeyPair;
use whatsapp_rust::wacore::noise::{NoiseCipher, NoiseHandshake};
use whatsapp_rust::wacore::xml::DisplayableNodeRef;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::consts::{NOISE_PATTERN_XX, WA_CONN_HEADER};
use whatsapp_rust::wacore_binary::{marshal, Node, NodeRef, SERVER_JID};
use whatsapp_rust::waproto::whatsapp as wa;

/// A running stand-in. Dropping it stops the listener and closes every open connection,
/// as if WhatsApp had gone away.
pub struct StandIn {
    /// `ws://127.0.0.1:<port>/ws/chat`, for `TokioWebSocketTransportFactory::with_url`.
    pub url: String,
    /// The refs every connection receives, in order: a client's first QR code is
    /// `"{refs[0]},<keys…>"`. Unique per stand-in, so a QR cannot be mistaken for another test's.
    pub refs: Vec<String>,
    counts: Arc<Counts>,
    accept_loop: JoinHandle<()>,
}

#[derive(Default)]
struct Counts {
    accepted: AtomicUsize,
    open: AtomicUsize,
}

/// Decrements `open` however a connection task ends, including by abort.
struct OpenGuard(Arc<Counts>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The server's long-lived Noise identity, shared by all connections of one stand-in, as a
/// real server's would be.
struct Identity {
    static_kp: KeyPair,
    cert_chain: Vec<u8>,
    refs: Vec<String>,
}

impl StandIn {
    /// Binds 127.0.0.1:0 and serves every connection on a background task of the current
    /// tokio runtime.
    pub async fn start(refs: usize) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the stand-in's port");
        let port = listener.local_addr().expect("stand-in's address").port();
        let nonce: u64 = rand010::random();
        let refs: Vec<String> = (1..=refs)
            .map(|i| format!("STANDIN-REF-{i}-{nonce:016x}"))
            .collect();

        let static_kp = KeyPair::generate(&mut rand010::rng());
        let static_pub: [u8; 32] = static_kp
            .public_key
            .public_key_bytes()
            .try_into()
            .expect("an X25519 public key is 32 bytes");
        let identity = Arc::new(Identity {
            cert_chain: wacore_noise::test_util::build_cert_chain_bytes(&static_pub),
            static_kp,
            refs: refs.clone(),
        });
        let counts = Arc::new(Counts::default());
        let accept_loop = tokio::spawn(accept_loop(listener, identity, counts.clone()));
        StandIn {
            url: format!("ws://127.0.0.1:{port}/ws/chat"),
            refs,
            counts,
            accept_loop,
        }
    }

    /// WebSocket connections accepted so far (upgrade completed), open or not.
    pub fn connections(&self) -> usize {
        self.counts.accepted.load(Ordering::SeqCst)
    }

    /// WebSocket connections currently open.
    pub fn open_connections(&self) -> usize {
        self.counts.open.load(Ordering::SeqCst)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        // The connection tasks live in the loop's JoinSet, so they go with it.
        self.accept_loop.abort();
    }
}

async fn accept_loop(listener: TcpListener, identity: Arc<Identity>, counts: Arc<Counts>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let identity = identity.clone();
                    let counts = counts.clone();
                    connections.spawn(async move {
                        match serve(tcp, &identity, counts).await {
                            Ok(()) => log::debug!("stand-in: {peer} hung up"),
                            Err(e) => log::info!("stand-in: connection from {peer} ended: {e:#}"),
                        }
                    });
                }
                // Per-connection failures (e.g. aborted before accept); the listener lives on.
                Err(e) => log::warn!("stand-in: accept failed: {e}"),
            },
            // Reaps finished connections so the set does not grow for the stand-in's lifetime.
            Some(_) = connections.join_next() => {}
        }
    }
}

/// One client connection, from the HTTP upgrade to the client's hang-up. `Ok` when the client
/// closed the socket, `Err` for anything the stand-in did not expect.
async fn serve(tcp: TcpStream, identity: &Identity, counts: Arc<Counts>) -> anyhow::Result<()> {
    let (request, ws) = ServerBuilder::new()
        .accept(tcp)
        .await
        .context("WebSocket upgrade")?;
    counts.accepted.fetch_add(1, Ordering::SeqCst);
    counts.open.fetch_add(1, Ordering::SeqCst);
    let _open = OpenGuard(counts);
    log::debug!("stand-in: WebSocket upgrade for {}", request.uri());

    let mut conn = Conn {
        ws,
        frames: FrameDecoder::new(),
    };
    if !conn.read_intro().await? {
        return Ok(());
    }
    let Some(mut session) = handshake(&mut conn, identity).await? else {
        return Ok(());
    };

    let refs = identity
        .refs
        .iter()
        .map(|r| NodeBuilder::new("ref").bytes(r.as_bytes()).build());
    let pair_device = NodeBuilder::new("iq")
        .attr("from", SERVER_JID)
        .attr("type", "set")
        .attr("id", "standin-pair-device")
        .attr("xmlns", "md")
        .children([NodeBuilder::new("pair-device").children(refs).build()])
        .build();
    session.send(&mut conn, &pair_device).await?;

    while let Some(frame) = conn.next_frame().await? {
        let plain = session.open(frame)?;
        // Flag byte first: bit 2 means zlib; `unpack` strips or inflates accordingly.
        let data = whatsapp_rust::wacore_binary::util::unpack(&plain).context("unpack stanza")?;
        let node = marshal::unmarshal_ref(&data).context("unmarshal stanza")?;
        log::debug!("stand-in: received {}", DisplayableNodeRef(&node));
        if let Some(reply) = empty_result_for(&node) {
            session.send(&mut conn, &reply).await?;
        }
    }
    Ok(())
}

/// `<iq type="result" id=…>` for an iq `get`/`set`; `None` for anything else (including the
/// client's own `result` acks, which need no answer).
fn empty_result_for(node: &NodeRef<'_>) -> Option<Node> {
    if node.tag.as_ref() != "iq" {
        return None;
    }
    let kind = node.get_attr("type")?.as_str();
    if kind != "get" && kind != "set" {
        return None;
    }
    let id = node.get_attr("id")?.as_str().into_owned();
    Some(
        NodeBuilder::new("iq")
            .attr("type", "result")
            .attr("id", id)
            .attr("from", SERVER_JID)
            .build(),
    )
}

/// The WebSocket, seen as the stream of 3-byte-length frames the client writes into it.
struct Conn {
    ws: WebSocketStream<TcpStream>,
    frames: FrameDecoder,
}

impl Conn {
    /// The next binary message's bytes; `None` once the client has closed or reset the socket.
    async fn next_bytes(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        loop {
            match self.ws.next().await {
                None => return Ok(None),
                // A client that drops its socket is routine (reconnects, shutdowns), not an error.
                Some(Err(e)) => {
                    log::debug!("stand-in: read failed, treating as hang-up: {e}");
                    return Ok(None);
                }
                Some(Ok(msg)) if msg.is_close() => return Ok(None),
                Some(Ok(msg)) if msg.is_binary() => return Ok(Some(msg.as_payload().to_vec())),
                Some(Ok(_)) => {} // pings are answered by tokio-websockets itself
            }
        }
    }

    /// Consumes the connection intro in front of the first frame. `false` if the client hung
    /// up first.
    async fn read_intro(&mut self) -> anyhow::Result<bool> {
        let mut buf = Vec::new();
        loop {
            if let Some(len) = intro_len(&buf)? {
                self.frames.feed(&buf[len..]);
                return Ok(true);
            }
            match self.next_bytes().await? {
                Some(more) => buf.extend_from_slice(&more),
                None => return Ok(false),
            }
        }
    }

    /// The next whole frame's payload; `None` once the client has hung up.
    async fn next_frame(&mut self) -> anyhow::Result<Option<BytesMut>> {
        loop {
            if let Some(frame) = self.frames.decode_frame() {
                return Ok(Some(frame));
            }
            match self.next_bytes().await? {
                Some(bytes) => self.frames.feed(&bytes),
                None => return Ok(None),
            }
        }
    }

    async fn send_frame(&mut self, payload: &[u8]) -> anyhow::Result<()> {
        let framed = encode_frame(payload, None)?;
        self.ws
            .send(Message::binary(framed))
            .await
            .context("write to the client")
    }
}

/// Length of the intro at the start of `buf` (`None` while incomplete): an optional edge-routing
/// pre-intro (`ED\0\1`, 3-byte length, routing data), then `WA_CONN_HEADER`.
fn intro_len(buf: &[u8]) -> anyhow::Result<Option<usize>> {
    let header_at = if buf.starts_with(b"ED\x00\x01") {
        if buf.len() < 7 {
            return Ok(None);
        }
        7 + u24(&buf[4..7])
    } else {
        0
    };
    let end = header_at + WA_CONN_HEADER.len();
    if buf.len() < end {
        return Ok(None);
    }
    if buf[header_at..end] != WA_CONN_HEADER {
        bail!(
            "connection intro lacks WA_CONN_HEADER: {:02x?}",
            &buf[..end]
        );
    }
    Ok(Some(end))
}

fn u24(b: &[u8]) -> usize {
    (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
}

/// The transport ciphers after the handshake. Each direction has its own key and its own frame
/// counter, which is the AES-GCM nonce: both sides must count every frame, in order.
struct Session {
    read: NoiseCipher,
    write: NoiseCipher,
    read_count: u32,
    write_count: u32,
}

impl Session {
    fn open(&mut self, mut frame: BytesMut) -> anyhow::Result<BytesMut> {
        self.read
            .decrypt_in_place_with_counter(self.read_count, &mut frame)
            .context("decrypt a client frame")?;
        self.read_count += 1;
        Ok(frame)
    }

    async fn send(&mut self, conn: &mut Conn, node: &Node) -> anyhow::Result<()> {
        // `marshal` writes the flag byte (0: not compressed) the client's `unpack` expects.
        let plain = marshal(node)?;
        let sealed = self.write.encrypt_with_counter(self.write_count, &plain)?;
        self.write_count += 1;
        conn.send_frame(&sealed).await
    }
}

/// The responder's half of Noise XX (`-> e`, `<- e, ee, s, es`, `-> s, se`), with
/// `WA_CONN_HEADER` as prologue. `None` if the client hung up midway.
async fn handshake(conn: &mut Conn, identity: &Identity) -> anyhow::Result<Option<Session>> {
    let Some(hello) = conn.next_frame().await? else {
        return Ok(None);
    };
    let hello = wa::HandshakeMessage::decode_from_slice(&hello)
        .context("decode ClientHello")?
        .client_hello
        .into_option()
        .context("first frame has no ClientHello")?;
    if hello.r#static.is_some() {
        // Only a paired client with a cached server key tries IK; this stand-in never pairs one.
        bail!("client attempted Noise IK; the stand-in only speaks XX");
    }
    let client_eph: [u8; 32] = hello
        .ephemeral
        .context("ClientHello without an ephemeral key")?
        .try_into()
        .map_err(|_| anyhow::anyhow!("client ephemeral key is not 32 bytes"))?;

    let mut noise = NoiseHandshake::new(NOISE_PATTERN_XX, &WA_CONN_HEADER)?;
    noise.authenticate(&client_eph);
    let eph = KeyPair::generate(&mut rand010::rng());
    noise.authenticate(eph.public_key.public_key_bytes());
    noise.mix_shared_secret(eph.private_key.serialize(), &client_eph)?;
    let static_sealed = noise.encrypt(identity.static_kp.public_key.public_key_bytes())?;
    noise.mix_shared_secret(identity.static_kp.private_key.serialize(), &client_eph)?;
    let cert_sealed = noise.encrypt(&identity.cert_chain)?;

    let server_hello = wa::HandshakeMessage {
        server_hello: whatsapp_rust::buffa::MessageField::some(
            wa::handshake_message::ServerHello {
                ephemeral: Some(eph.public_key.public_key_bytes().to_vec()),
                r#static: Some(static_sealed),
                payload: Some(cert_sealed),
                ..Default::default()
            },
        ),
        ..Default::default()
    };
    conn.send_frame(&server_hello.encode_to_vec()).await?;

    let Some(finish) = conn.next_frame().await? else {
        return Ok(None);
    };
    let finish = wa::HandshakeMessage::decode_from_slice(&finish)
        .context("decode ClientFinish")?
        .client_finish
        .into_option()
        .context("second frame has no ClientFinish")?;
    let client_static = noise.decrypt(&finish.r#static.context("ClientFinish without static")?)?;
    noise.mix_shared_secret(eph.private_key.serialize(), &client_static)?;
    let payload = noise.decrypt(&finish.payload.context("ClientFinish without payload")?)?;
    let payload = wa::ClientPayload::decode_from_slice(&payload).context("decode ClientPayload")?;
    if payload.device_pairing_data.is_unset() {
        // A login payload: the client thinks it is paired, and will wait for a `<success>` the
        // stand-in cannot give. Worth a line when a test hangs.
        log::warn!("stand-in: client sent a login payload, not a registration");
    }

    // `finish` returns the initiator's (write, read): the responder reads with the first.
    let (read, write) = noise.finish()?;
    Ok(Some(Session {
        read,
        write,
        read_count: 0,
        write_count: 0,
    }))
}

#[actix_web::test]
async fn engine_client_gets_qr_from_standin() {
    use crate::helpers::{wait_for, DEADLINE};
    use whatsapp_rust::bot::Bot;
    use whatsapp_rust::transport::TokioWebSocketTransportFactory;
    use whatsapp_rust::wacore::store::InMemoryBackend;

    let _ = env_logger::builder().is_test(true).try_init();
    let standin = StandIn::start(2).await;
    let (qr_tx, qr_rx) = whatsapp_rust::async_channel::unbounded::<String>();
    let bot = Bot::builder()
        .with_backend(InMemoryBackend::new())
        .with_transport_factory(TokioWebSocketTransportFactory::new().with_url(&standin.url))
        // A pinned version skips the fetch from web.whatsapp.com.
        .with_version((2, 3000, 1_000_000_000))
        .on_qr_code(move |code, _ttl| {
            let qr_tx = qr_tx.clone();
            async move {
                let _ = qr_tx.send(code).await;
            }
        })
        .build()
        .await
        .expect("the bot builds");
    let bot = bot.spawn();

    let qr = tokio::time::timeout(DEADLINE, qr_rx.recv())
        .await
        .expect("a QR code before the deadline")
        .expect("the QR channel stays open");
    assert!(
        qr.starts_with(&format!("{},", standin.refs[0])),
        "QR {qr:?} should start with the first ref {:?}",
        standin.refs[0]
    );
    assert_eq!(standin.connections(), 1);
    assert_eq!(standin.open_connections(), 1);

    tokio::time::timeout(DEADLINE, bot.shutdown())
        .await
        .expect("the bot shuts down before the deadline");
    wait_for("the stand-in to see the client hang up", || async {
        (standin.open_connections() == 0).then_some(())
    })
    .await;
    assert_eq!(standin.connections(), 1, "a stopped client must not redial");
}

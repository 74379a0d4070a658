//! The stand-in's transport: WebSocket frames, the Noise handshake (responder side) and the
//! transport ciphers that follow it.

use tokio::net::TcpStream;
use tokio_websockets::{Message, WebSocketStream};
use whatsapp_rust::anyhow::{self, bail, Context as _};
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::bytes::BytesMut;
use whatsapp_rust::futures::{SinkExt as _, StreamExt as _};
use whatsapp_rust::wacore::framing::{encode_frame, FrameDecoder};
use whatsapp_rust::wacore::libsignal::protocol::KeyPair;
use whatsapp_rust::wacore::noise::{NoiseCipher, NoiseHandshake};
use whatsapp_rust::wacore_binary::consts::{
    NOISE_PATTERN_XX, NOISE_PATTERN_XXFALLBACK, WA_CONN_HEADER,
};
use whatsapp_rust::wacore_binary::{marshal, Node};
use whatsapp_rust::waproto::whatsapp as wa;

use super::Identity;

/// The WebSocket, seen as the stream of 3-byte-length frames the client writes into it.
pub(super) struct Conn {
    pub(super) ws: WebSocketStream<TcpStream>,
    pub(super) frames: FrameDecoder,
}

impl Conn {
    /// The next binary message's bytes; `None` once the client has closed or reset the socket.
    pub(super) async fn next_bytes(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
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
    pub(super) async fn read_intro(&mut self) -> anyhow::Result<bool> {
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
    pub(super) async fn next_frame(&mut self) -> anyhow::Result<Option<BytesMut>> {
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

    pub(super) async fn send_frame(&mut self, payload: &[u8]) -> anyhow::Result<()> {
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
pub(super) struct Session {
    read: NoiseCipher,
    write: NoiseCipher,
    read_count: u32,
    write_count: u32,
}

impl Session {
    pub(super) fn open(&mut self, mut frame: BytesMut) -> anyhow::Result<BytesMut> {
        self.read
            .decrypt_in_place_with_counter(self.read_count, &mut frame)
            .context("decrypt a client frame")?;
        self.read_count += 1;
        Ok(frame)
    }

    pub(super) async fn send(&mut self, conn: &mut Conn, node: &Node) -> anyhow::Result<()> {
        // `marshal` writes the flag byte (0: not compressed) the client's `unpack` expects.
        let plain = marshal(node)?;
        let sealed = self.write.encrypt_with_counter(self.write_count, &plain)?;
        self.write_count += 1;
        conn.send_frame(&sealed).await
    }
}

/// The responder's half of Noise XX (`-> e`, `<- e, ee, s, es`, `-> s, se`), with
/// `WA_CONN_HEADER` as prologue; a linked device that tries IK with a cached server key gets
/// XXfallback, which continues the same way. `None` if the client hung up midway; otherwise the
/// transport ciphers, whether the device logs in (`true`) or registers, and its static Noise key.
pub(super) async fn handshake(
    conn: &mut Conn,
    identity: &Identity,
) -> anyhow::Result<Option<(Session, bool, Vec<u8>)>> {
    let Some(hello) = conn.next_frame().await? else {
        return Ok(None);
    };
    let hello = wa::HandshakeMessage::decode_from_slice(&hello)
        .context("decode ClientHello")?
        .client_hello
        .into_option()
        .context("first frame has no ClientHello")?;
    // IK (a static key in the hello) is answered with XXfallback, which ignores the 0-RTT
    // payload and works whatever server key the device cached.
    let pattern = if hello.r#static.is_some() {
        NOISE_PATTERN_XXFALLBACK
    } else {
        NOISE_PATTERN_XX
    };
    let client_eph: [u8; 32] = hello
        .ephemeral
        .context("ClientHello without an ephemeral key")?
        .try_into()
        .map_err(|_| anyhow::anyhow!("client ephemeral key is not 32 bytes"))?;

    let mut noise = NoiseHandshake::new(pattern, &WA_CONN_HEADER)?;
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
    let login = payload.device_pairing_data.is_unset();

    // `finish` returns the initiator's (write, read): the responder reads with the first.
    let (read, write) = noise.finish()?;
    Ok(Some((
        Session {
            read,
            write,
            read_count: 0,
            write_count: 0,
        },
        login,
        client_static,
    )))
}

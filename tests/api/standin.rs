//! A loopback stand-in for WhatsApp's WebSocket server, far enough for an unmodified
//! whatsapp-rust client to link, log in and receive a message.
//!
//! Per connection it plays the server's side of the Noise handshake (XX for a new device,
//! XXfallback when a linked device tries IK), then:
//! - for a device that is not linked yet: hands it a `<pair-device>` with all of its refs (each
//!   becomes a QR code). Once the test has [`StandIn::scan`]ned a QR code, it plays the phone that
//!   scanned it: `<pair-success>` with an ADV identity signed by the phone's account key, and after
//!   the device's signed answer the `515` stream restart a real server sends;
//! - for a linked device (login payload): `<success>`, the end of the offline queue, empty app-state
//!   collections, and it keeps the prekeys the device uploads, so that [`StandIn::send_text`] can
//!   deliver a Signal-encrypted (`pkmsg`) text from a contact.
//!
//! Every other iq `get`/`set` gets an empty `result`, so keepalive pings succeed. The stand-in
//! never acknowledges the device's own sends: outgoing messages are out of its scope.
//!
//! Its certificate chain is fake, so only builds with whatsapp-rust's
//! `danger-skip-cert-chain-verify` (the test builds) accept it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_websockets::{Message, ServerBuilder, WebSocketStream};
use whatsapp_rust::anyhow::{self, bail, Context as _};
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::bytes::BytesMut;
use whatsapp_rust::futures::{SinkExt as _, StreamExt as _};
use whatsapp_rust::wacore::framing::{encode_frame, FrameDecoder};
use whatsapp_rust::wacore::libsignal::crypto::hmac_sha256;
use whatsapp_rust::wacore::libsignal::protocol::{
    self as signal, CiphertextMessageType, Direction, IdentityChange, IdentityKey, IdentityKeyPair,
    IdentityKeyStore, KeyPair, PreKeyBundle, ProtocolAddress, PublicKey, SessionRecord,
    SessionStore, UsePQRatchet,
};
use whatsapp_rust::wacore::messages::MessageUtils;
use whatsapp_rust::wacore::noise::{NoiseCipher, NoiseHandshake};
use whatsapp_rust::wacore::xml::DisplayableNodeRef;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::consts::{
    NOISE_PATTERN_XX, NOISE_PATTERN_XXFALLBACK, WA_CONN_HEADER,
};
use whatsapp_rust::wacore_binary::{marshal, Node, NodeRef, SERVER_JID};
use whatsapp_rust::waproto::whatsapp as wa;

/// The phone number of the account the stand-in links devices to.
pub const PHONE: &str = "15550001111";
/// The account's name as the device learns it at pairing.
pub const PUSH_NAME: &str = "Standin Alice";
/// The account's LID user.
const LID: &str = "100000000000001";
const PAIR_SUCCESS_ID: &str = "standin-pair-success";

/// A running stand-in. Dropping it stops the listener and closes every open connection,
/// as if WhatsApp had gone away.
pub struct StandIn {
    /// `ws://127.0.0.1:<port>/ws/chat`, for `TokioWebSocketTransportFactory::with_url`.
    pub url: String,
    /// The refs every connection receives, in order: a client's first QR code is
    /// `"{refs[0]},<keys…>"`. Unique per stand-in, so a QR cannot be mistaken for another test's.
    pub refs: Vec<String>,
    shared: Arc<Shared>,
    accept_loop: JoinHandle<()>,
}

/// What every connection of one stand-in shares.
struct Shared {
    server: Identity,
    /// The phone's account identity key: it signs each device it links.
    account: KeyPair,
    accepted: AtomicUsize,
    open: AtomicUsize,
    state: Mutex<State>,
    /// Bumped by each test action, so idle connections look at [`State`] again.
    wake: watch::Sender<u64>,
    /// The contact's Signal identity and sessions, used to encrypt what it sends.
    contact: tokio::sync::Mutex<Contact>,
}

#[derive(Default)]
struct State {
    /// QR codes the phone scanned, each waiting for the unlinked connection it came from (the one
    /// whose Noise key it carries), so several devices can link at once.
    scanned: Vec<Scan>,
    /// Devices that signed their identity: linked to the account.
    paired: usize,
    /// Logins that reached `<success>`.
    logins: usize,
    /// The keys the linked device uploaded: what a contact needs to start a Signal session.
    bundle: Option<DeviceBundle>,
    /// Texts from contacts waiting for a logged-in connection.
    outbox: VecDeque<Text>,
    /// Set by [`StandIn::remove_device`]: the next logged-in connection hears `401`.
    remove_device: bool,
    /// Every stanza logged-in devices sent, as text (`<tag attr="…">…`), oldest first.
    received: Vec<String>,
}

/// The keys a QR code carries: what the scanning phone needs to vouch for the device.
struct Scan {
    noise_key: [u8; 32],
    device_identity: [u8; 32],
    adv_secret: [u8; 32],
}

struct Text {
    from: String,
    id: String,
    body: String,
}

/// The device's public Signal keys, as uploaded after login.
struct DeviceBundle {
    registration_id: u32,
    identity: Vec<u8>,
    signed_pre_key: (u32, Vec<u8>, Vec<u8>),
    pre_keys: Vec<(u32, Vec<u8>)>,
}

/// Decrements `open` however a connection task ends, including by abort.
struct OpenGuard(Arc<Shared>);

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
        let shared = Arc::new(Shared {
            server: Identity {
                cert_chain: wacore_noise::test_util::build_cert_chain_bytes(&static_pub),
                static_kp,
                refs: refs.clone(),
            },
            account: KeyPair::generate(&mut rand010::rng()),
            accepted: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            state: Mutex::new(State::default()),
            wake: watch::channel(0).0,
            contact: tokio::sync::Mutex::new(Contact::new()),
        });
        let accept_loop = tokio::spawn(accept_loop(listener, shared.clone()));
        StandIn {
            url: format!("ws://127.0.0.1:{port}/ws/chat"),
            refs,
            shared,
            accept_loop,
        }
    }

    /// WebSocket connections accepted so far (upgrade completed), open or not.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// WebSocket connections currently open.
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }

    /// The phone scans `qr` (`ref,noise key,identity key,adv secret,…`, as the device shows it):
    /// the unlinked connection gets its `<pair-success>`.
    pub fn scan(&self, qr: &str) {
        let fields: Vec<&str> = qr.split(',').collect();
        assert!(fields.len() >= 4, "not a WhatsApp QR code: {qr:?}");
        let key = |s: &str| -> [u8; 32] {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .ok()
                .and_then(|k| k.try_into().ok())
                .unwrap_or_else(|| panic!("QR field {s:?} is not a base64 32-byte key"))
        };
        self.shared.act(|state| {
            state.scanned.push(Scan {
                noise_key: key(fields[1]),
                device_identity: key(fields[2]),
                adv_secret: key(fields[3]),
            });
        });
    }

    /// Devices linked so far (each signed its identity after a `<pair-success>`).
    pub fn paired(&self) -> usize {
        self.shared.lock().paired
    }

    /// Logins that reached `<success>`.
    pub fn logins(&self) -> usize {
        self.shared.lock().logins
    }

    /// The contact `from_phone` sends `body` to the linked device, as message `id`. Delivered as
    /// soon as a logged-in connection has the device's prekeys.
    pub fn send_text(&self, from_phone: &str, id: &str, body: &str) {
        self.shared.act(|state| {
            state.outbox.push_back(Text {
                from: format!("{from_phone}@s.whatsapp.net"),
                id: id.into(),
                body: body.into(),
            });
        });
    }

    /// The stanzas logged-in devices sent whose text contains every one of `needles`.
    pub fn received(&self, needles: &[&str]) -> Vec<String> {
        self.shared
            .lock()
            .received
            .iter()
            .filter(|s| needles.iter().all(|n| s.contains(n)))
            .cloned()
            .collect()
    }

    /// The phone removes the linked device (Settings > Linked devices > Log out).
    pub fn remove_device(&self) {
        self.shared.act(|state| state.remove_device = true);
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn act(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.lock());
        self.wake.send_modify(|n| *n += 1);
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        // The connection tasks live in the loop's JoinSet, so they go with it.
        self.accept_loop.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let shared = shared.clone();
                    connections.spawn(async move {
                        match serve(tcp, shared).await {
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
async fn serve(tcp: TcpStream, shared: Arc<Shared>) -> anyhow::Result<()> {
    let (request, ws) = ServerBuilder::new()
        .accept(tcp)
        .await
        .context("WebSocket upgrade")?;
    shared.accepted.fetch_add(1, Ordering::SeqCst);
    shared.open.fetch_add(1, Ordering::SeqCst);
    let _open = OpenGuard(shared.clone());
    log::debug!("stand-in: WebSocket upgrade for {}", request.uri());

    let mut conn = Conn {
        ws,
        frames: FrameDecoder::new(),
    };
    if !conn.read_intro().await? {
        return Ok(());
    }
    let Some((mut session, login, client_static)) = handshake(&mut conn, &shared.server).await?
    else {
        return Ok(());
    };
    let mut wake = shared.wake.subscribe();

    if login {
        let success = NodeBuilder::new("success")
            .attr("t", now_secs().to_string())
            .attr("lid", format!("{LID}:1@lid"))
            .build();
        session.send(&mut conn, &success).await?;
        // Nothing queued while the device was away: its offline sync ends at once.
        let offline_end = NodeBuilder::new("ib")
            .attr("from", SERVER_JID)
            .children([NodeBuilder::new("offline").attr("count", "0").build()])
            .build();
        session.send(&mut conn, &offline_end).await?;
        shared.lock().logins += 1;
    } else {
        let refs = shared
            .server
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
    }

    loop {
        for node in pending(&shared, login, &client_static).await? {
            session.send(&mut conn, &node).await?;
        }
        let frame = tokio::select! {
            frame = conn.next_frame() => match frame? {
                Some(frame) => frame,
                None => return Ok(()),
            },
            // A test action: look at the state again.
            _ = wake.changed() => continue,
        };
        let plain = session.open(frame)?;
        // Flag byte first: bit 2 means zlib; `unpack` strips or inflates accordingly.
        let data = whatsapp_rust::wacore_binary::util::unpack(&plain).context("unpack stanza")?;
        let node = marshal::unmarshal_ref(&data).context("unmarshal stanza")?;
        log::debug!("stand-in: received {}", DisplayableNodeRef(&node));
        if login {
            shared
                .lock()
                .received
                .push(DisplayableNodeRef(&node).to_string());
        }
        for reply in answer(&shared, &node)? {
            session.send(&mut conn, &reply).await?;
        }
    }
}

/// What the test asked for that this connection can deliver now.
async fn pending(shared: &Shared, login: bool, client_static: &[u8]) -> anyhow::Result<Vec<Node>> {
    if !login {
        let scan = {
            let mut state = shared.lock();
            let mine = state
                .scanned
                .iter()
                .position(|s| s.noise_key.as_slice() == client_static);
            mine.map(|i| state.scanned.remove(i))
        };
        return match scan {
            Some(scan) => Ok(vec![pair_success(&shared.account, &scan)?]),
            None => Ok(Vec::new()),
        };
    }
    let (texts, remove) = {
        let mut state = shared.lock();
        if std::mem::take(&mut state.remove_device) {
            (Vec::new(), true)
        } else if state.bundle.is_some() {
            (state.outbox.drain(..).collect::<Vec<_>>(), false)
        } else {
            (Vec::new(), false)
        }
    };
    if remove {
        return Ok(vec![NodeBuilder::new("stream:error")
            .attr("code", "401")
            .build()]);
    }
    let mut nodes = Vec::new();
    for text in texts {
        let bundle = {
            let state = shared.lock();
            let b = state.bundle.as_ref().context("device bundle")?;
            PreKeyBundle::new(
                b.registration_id,
                1u32.into(),
                b.pre_keys
                    .first()
                    .map(|(id, key)| Ok::<_, anyhow::Error>(((*id).into(), djb(key)?)))
                    .transpose()?,
                b.signed_pre_key.0.into(),
                djb(&b.signed_pre_key.1)?,
                b.signed_pre_key.2.clone(),
                IdentityKey::new(djb(&b.identity)?),
            )?
        };
        let (kind, ciphertext) = shared
            .contact
            .lock()
            .await
            .encrypt(&bundle, &text.body)
            .await?;
        nodes.push(
            NodeBuilder::new("message")
                .attr("from", text.from)
                .attr("id", text.id)
                .attr("t", now_secs().to_string())
                .attr("type", "text")
                .attr("notify", "Standin Bob")
                .children([NodeBuilder::new("enc")
                    .attr("v", "2")
                    .attr("type", kind)
                    .bytes(ciphertext)
                    .build()])
                .build(),
        );
    }
    Ok(nodes)
}

/// The stand-in's answers to one stanza from the device.
fn answer(shared: &Shared, node: &NodeRef<'_>) -> anyhow::Result<Vec<Node>> {
    if node.tag.as_ref() != "iq" {
        return Ok(Vec::new());
    }
    let kind = node
        .get_attr("type")
        .map(|t| t.as_str().into_owned())
        .unwrap_or_default();
    let id = node
        .get_attr("id")
        .map(|t| t.as_str().into_owned())
        .unwrap_or_default();
    if id == PAIR_SUCCESS_ID {
        if kind != "result" || node.get_optional_child("pair-device-sign").is_none() {
            bail!(
                "the device refused the pairing: {}",
                DisplayableNodeRef(node)
            );
        }
        shared.lock().paired += 1;
        // As WhatsApp does: the linked device must reconnect and log in.
        return Ok(vec![NodeBuilder::new("stream:error")
            .attr("code", "515")
            .build()]);
    }
    if kind != "get" && kind != "set" {
        return Ok(Vec::new());
    }
    let xmlns = node
        .get_attr("xmlns")
        .map(|t| t.as_str().into_owned())
        .unwrap_or_default();
    let result = NodeBuilder::new("iq")
        .attr("type", "result")
        .attr("id", id)
        .attr("from", SERVER_JID);
    match xmlns.as_str() {
        // The device waits for its critical collections before it calls itself connected: an
        // empty state for each one it asked for.
        "w:sync:app:state" => {
            let collections = node
                .get_optional_child("sync")
                .map(|sync| {
                    sync.get_children_by_tag("collection")
                        .filter_map(|c| c.get_attr("name").map(|n| n.as_str().into_owned()))
                        .map(|name| {
                            NodeBuilder::new("collection")
                                .attr("name", name)
                                .attr("version", "0")
                                .build()
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            Ok(vec![result
                .children([NodeBuilder::new("sync").children(collections).build()])
                .build()])
        }
        "encrypt" if node.get_optional_child("registration").is_some() => {
            shared.lock().bundle = Some(device_bundle(node)?);
            // Wakes the connection: texts may have waited for these keys.
            shared.wake.send_modify(|n| *n += 1);
            Ok(vec![result.build()])
        }
        _ => Ok(vec![result.build()]),
    }
}

/// `<iq><pair-success>` as the phone that scanned `scan` causes it: the device's ADV identity,
/// signed by the account key and authenticated with the QR's ADV secret.
fn pair_success(account: &KeyPair, scan: &Scan) -> anyhow::Result<Node> {
    let e2ee = Some(wa::ADVEncryptionType::E2EE);
    let details = wa::ADVDeviceIdentity {
        raw_id: Some(rand010::random()),
        timestamp: Some(u64::try_from(now_secs())?),
        key_index: Some(1),
        account_type: e2ee,
        device_type: e2ee,
    }
    .encode_to_vec();
    // The account signs `6,0 ‖ details ‖ device identity key`.
    let mut signed = vec![6u8, 0];
    signed.extend_from_slice(&details);
    signed.extend_from_slice(&scan.device_identity);
    let signature = account
        .private_key
        .calculate_signature(&signed, &mut rand010::rng())?;
    let identity = wa::ADVSignedDeviceIdentity {
        details: Some(details),
        account_signature_key: Some(account.public_key.public_key_bytes().to_vec()),
        account_signature: Some(signature.to_vec()),
        device_signature: None,
    }
    .encode_to_vec();
    let hmac = hmac_sha256(&scan.adv_secret, &identity);
    let container = wa::ADVSignedDeviceIdentityHMAC {
        details: Some(identity),
        hmac: Some(hmac.to_vec()),
        account_type: e2ee,
    }
    .encode_to_vec();
    Ok(NodeBuilder::new("iq")
        .attr("from", SERVER_JID)
        .attr("type", "set")
        .attr("id", PAIR_SUCCESS_ID)
        .attr("xmlns", "md")
        .attr("t", now_secs().to_string())
        .children([NodeBuilder::new("pair-success")
            .children([
                NodeBuilder::new("device-identity").bytes(container).build(),
                NodeBuilder::new("device")
                    .attr("jid", format!("{PHONE}:1@s.whatsapp.net"))
                    .attr("lid", format!("{LID}:1@lid"))
                    .build(),
                NodeBuilder::new("platform").attr("name", "android").build(),
                NodeBuilder::new("biz").attr("name", PUSH_NAME).build(),
            ])
            .build()])
        .build())
}

/// Reads the prekey upload (`<registration>`, `<identity>`, `<list>` of `<key>`, `<skey>`).
fn device_bundle(node: &NodeRef<'_>) -> anyhow::Result<DeviceBundle> {
    fn bytes(parent: &NodeRef<'_>, tag: &str) -> anyhow::Result<Vec<u8>> {
        parent
            .get_optional_child(tag)
            .and_then(|c| c.content_bytes())
            .map(<[u8]>::to_vec)
            .with_context(|| format!("prekey upload without <{tag}>"))
    }
    fn number(b: &[u8]) -> u32 {
        b.iter().fold(0, |n, &x| (n << 8) | u32::from(x))
    }
    let skey = node
        .get_optional_child("skey")
        .context("prekey upload without <skey>")?;
    let pre_keys = node
        .get_optional_child("list")
        .map(|list| {
            list.get_children_by_tag("key")
                .map(|k| Ok((number(&bytes(k, "id")?), bytes(k, "value")?)))
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(DeviceBundle {
        registration_id: number(&bytes(node, "registration")?),
        identity: bytes(node, "identity")?,
        signed_pre_key: (
            number(&bytes(skey, "id")?),
            bytes(skey, "value")?,
            bytes(skey, "signature")?,
        ),
        pre_keys,
    })
}

fn djb(key: &[u8]) -> anyhow::Result<PublicKey> {
    Ok(PublicKey::from_djb_public_key_bytes(key)?)
}

fn now_secs() -> i64 {
    whatsapp_rust::chrono::Utc::now().timestamp()
}

/// A contact of the linked account: its Signal identity and its session with the device.
struct Contact {
    identity: ContactIdentity,
    sessions: ContactSessions,
}

impl Contact {
    fn new() -> Self {
        Self {
            identity: ContactIdentity {
                pair: IdentityKeyPair::generate(&mut rand010::rng()),
                registration_id: rand010::random::<u32>() & 0x3fff,
                known: HashMap::new(),
            },
            sessions: ContactSessions::default(),
        }
    }

    /// Encrypts `text` for the device, starting a session from its bundle on first use.
    async fn encrypt(
        &mut self,
        bundle: &PreKeyBundle,
        text: &str,
    ) -> anyhow::Result<(&'static str, Vec<u8>)> {
        // Only the stand-in's own store uses this name.
        let device = ProtocolAddress::new("linked-device", 1u32.into());
        if self.sessions.0.is_empty() {
            // `ThreadRng` is not `Send`, and this future crosses awaits on a spawned task.
            let mut rng =
                <rand010::rngs::StdRng as rand010::SeedableRng>::from_rng(&mut rand010::rng());
            signal::process_prekey_bundle(
                &device,
                &mut self.sessions,
                &mut self.identity,
                bundle,
                &mut rng,
                UsePQRatchet::No,
            )
            .await?;
        }
        let message = wa::Message {
            conversation: Some(text.into()),
            ..Default::default()
        };
        let padded = MessageUtils::encode_and_pad(&message);
        let sealed =
            signal::message_encrypt(&padded, &device, &mut self.sessions, &mut self.identity)
                .await?;
        let kind = match sealed.message_type() {
            CiphertextMessageType::PreKey => "pkmsg",
            CiphertextMessageType::Whisper => "msg",
            other => bail!("unexpected Signal message type {other:?}"),
        };
        Ok((kind, sealed.serialize().to_vec()))
    }
}

struct ContactIdentity {
    pair: IdentityKeyPair,
    registration_id: u32,
    known: HashMap<ProtocolAddress, IdentityKey>,
}

#[whatsapp_rust::async_trait]
impl IdentityKeyStore for ContactIdentity {
    async fn get_identity_key_pair(&self) -> signal::error::Result<IdentityKeyPair> {
        Ok(self.pair.clone())
    }
    async fn get_local_registration_id(&self) -> signal::error::Result<u32> {
        Ok(self.registration_id)
    }
    async fn save_identity(
        &mut self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> signal::error::Result<IdentityChange> {
        let changed = self.known.get(address).is_some_and(|k| k != identity);
        self.known.insert(address.clone(), *identity);
        Ok(IdentityChange::from_changed(changed))
    }
    async fn is_trusted_identity(
        &self,
        _: &ProtocolAddress,
        _: &IdentityKey,
        _: Direction,
    ) -> signal::error::Result<bool> {
        Ok(true)
    }
    async fn get_identity(
        &self,
        address: &ProtocolAddress,
    ) -> signal::error::Result<Option<IdentityKey>> {
        Ok(self.known.get(address).cloned())
    }
}

#[derive(Default)]
struct ContactSessions(HashMap<ProtocolAddress, SessionRecord>);

#[whatsapp_rust::async_trait]
impl SessionStore for ContactSessions {
    async fn load_session(
        &self,
        address: &ProtocolAddress,
    ) -> signal::error::Result<Option<SessionRecord>> {
        Ok(self.0.get(address).cloned())
    }
    async fn has_session(&self, address: &ProtocolAddress) -> signal::error::Result<bool> {
        Ok(self.0.contains_key(address))
    }
    async fn store_session(
        &mut self,
        address: &ProtocolAddress,
        record: SessionRecord,
    ) -> signal::error::Result<()> {
        self.0.insert(address.clone(), record);
        Ok(())
    }
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
/// `WA_CONN_HEADER` as prologue; a linked device that tries IK with a cached server key gets
/// XXfallback, which continues the same way. `None` if the client hung up midway; otherwise the
/// transport ciphers and whether the device logs in (`true`) or registers.
/// The Noise session, whether the device logs in (rather than pairs), and its static Noise key.
async fn handshake(
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

//! A loopback stand-in for WhatsApp's WebSocket server, far enough for an unmodified
//! whatsapp-rust client to link, log in, send and receive.
//!
//! Per connection it plays the server's side of the Noise handshake (XX for a new device,
//! XXfallback when a linked device tries IK; [`wire`]), then:
//! - for a device that is not linked yet: hands it a `<pair-device>` with all of its refs (each
//!   becomes a QR code). Once the test has [`StandIn::scan`]ned a QR code, it plays the phone that
//!   scanned it: `<pair-success>` with an ADV identity signed by the phone's account key, and after
//!   the device's signed answer the `515` stream restart a real server sends;
//! - for a linked device (login payload): `<success>`, the end of the offline queue, and then the
//!   server's side of everything the tests use ([`server`]): it keeps the prekeys the device
//!   uploads, answers device, LID and number queries and prekey fetches for the contacts it plays
//!   ([`contact`]: every number of the fictional `1555…` range except the account's own), reads
//!   and acks what the device sends, keeps groups and a blocklist, and delivers what a test
//!   queues: texts from contacts ([`StandIn::send_text`]) and receipts ([`StandIn::receipt`]).
//!
//! Every other iq `get`/`set` gets an empty `result`, so keepalive pings succeed. Media upload
//! needs WhatsApp's media hosts, which the stand-in does not play.
//!
//! Its certificate chain is fake, so only builds with whatsapp-rust's
//! `danger-skip-cert-chain-verify` (the test builds) accept it.

mod contact;
mod server;
mod wire;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_websockets::ServerBuilder;
use whatsapp_rust::anyhow::{self, Context as _};
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::wacore::framing::FrameDecoder;
use whatsapp_rust::wacore::libsignal::crypto::hmac_sha256;
use whatsapp_rust::wacore::libsignal::protocol::{
    IdentityKey, KeyPair, PreKeyBundle, ProtocolAddress, PublicKey,
};
use whatsapp_rust::wacore::xml::DisplayableNodeRef;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::{marshal, Node, SERVER_JID};
use whatsapp_rust::waproto::whatsapp as wa;

use contact::Contact;
use server::PAIR_SUCCESS_ID;
use wire::{handshake, Conn};

/// The phone number of the account the stand-in links devices to.
pub const PHONE: &str = "15550001111";
/// The account's name as the device learns it at pairing.
pub const PUSH_NAME: &str = "Standin Alice";
/// The account's LID user.
const LID: &str = "100000000000001";

/// Whether `phone` is a WhatsApp user the stand-in plays: the fictional `1555…` range, but for
/// the account itself.
pub fn on_whatsapp(phone: &str) -> bool {
    phone.starts_with("1555") && phone.len() >= 8 && phone != PHONE
}

/// The LID user of a contact (a bijection, so a LID leads back to its phone).
pub fn lid_of(phone: &str) -> String {
    format!("9{phone}")
}

fn phone_of_lid(lid: &str) -> Option<String> {
    lid.strip_prefix('9').map(str::to_string)
}

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
    /// Bumped by each change a connection may have to act on, so idle ones look again.
    wake: watch::Sender<u64>,
    /// The contacts the stand-in plays, by phone number, each made on first use.
    contacts: tokio::sync::Mutex<HashMap<String, Contact>>,
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
    /// The keys each linked device uploaded, by its Noise key: what a contact needs to start a
    /// Signal session with it.
    bundles: HashMap<Vec<u8>, DeviceBundle>,
    /// What the test queued for a logged-in device.
    outbox: VecDeque<Push>,
    /// Set by [`StandIn::remove_device`]: the next logged-in connection hears `401`.
    remove_device: bool,
    /// Every stanza logged-in devices sent, as text (`<tag attr="…">…`), oldest first.
    received: Vec<String>,
    /// The messages devices sent, as their recipients read them.
    sent: Vec<Sent>,
    /// The groups, by id (without `@g.us`).
    groups: BTreeMap<String, Group>,
    group_counter: u64,
    /// Phone numbers the account blocked.
    blocked: BTreeSet<String>,
}

/// The keys a QR code carries: what the scanning phone needs to vouch for the device.
struct Scan {
    noise_key: [u8; 32],
    device_identity: [u8; 32],
    adv_secret: [u8; 32],
}

/// What a test queued for the device.
enum Push {
    /// A text from a contact.
    Text {
        from: String,
        id: String,
        body: String,
    },
    /// A text from a contact to a group the account is in.
    GroupText {
        group: String,
        from: String,
        id: String,
        body: String,
    },
    /// A contact's receipt for a message the device sent: delivered (`kind` `None`) or `read`.
    Receipt {
        from: String,
        id: String,
        kind: Option<String>,
    },
}

/// The device's public Signal keys, as uploaded after login.
struct DeviceBundle {
    registration_id: u32,
    identity: Vec<u8>,
    signed_pre_key: (u32, Vec<u8>, Vec<u8>),
    pre_keys: Vec<(u32, Vec<u8>)>,
}

/// A message a device sent, as the stand-in took it.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The chat: `<phone>@s.whatsapp.net` or `<id>@g.us`.
    pub to: String,
    /// WhatsApp's message id.
    pub id: String,
    /// The stanza's `type` (`text`, `reaction`, `media`…).
    pub kind: String,
    /// The content, as the first recipient read it.
    pub message: Option<wa::Message>,
    /// The phones that could read it: the contact of a 1:1 chat, or the group members that got
    /// the device's sender key.
    pub readers: Vec<String>,
    /// Why some recipient could not read it.
    pub problems: Vec<String>,
}

impl Sent {
    /// The text it carries, if it is one.
    pub fn text(&self) -> Option<&str> {
        let m = self.message.as_ref()?;
        m.conversation.as_deref().or(m
            .extended_text_message
            .as_option()
            .and_then(|t| t.text.as_deref()))
    }
}

/// A group the stand-in keeps: what `w:g2` queries read and change.
#[derive(Clone, Debug)]
pub struct Group {
    pub subject: String,
    /// Its id and body.
    pub description: Option<(String, String)>,
    pub creation: i64,
    /// Phone numbers and roles (`member`, `admin`, `superadmin`); the creator is the account.
    pub participants: Vec<(String, &'static str)>,
    pub invite: String,
    /// Only admins send.
    pub announce: bool,
    /// Only admins edit the info.
    pub locked: bool,
    /// Disappearing messages' lifetime in seconds.
    pub ephemeral: Option<u32>,
    /// Only admins add members.
    pub admins_add: bool,
}

/// One logged-in (or pairing) device, as the stand-in knows it.
struct Peer {
    /// Its static Noise key: the same across its reconnections.
    key: Vec<u8>,
    /// The name contacts keep its Signal session under.
    address: ProtocolAddress,
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
            contacts: tokio::sync::Mutex::new(HashMap::new()),
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
            state.outbox.push_back(Push::Text {
                from: format!("{from_phone}@s.whatsapp.net"),
                id: id.into(),
                body: body.into(),
            });
        });
    }

    /// The contact `from_phone` writes `body` in group `group_id` (`…@g.us`), as message `id`.
    pub fn send_group_text(&self, group_id: &str, from_phone: &str, id: &str, body: &str) {
        self.shared.act(|state| {
            state.outbox.push_back(Push::GroupText {
                group: group_id.into(),
                from: from_phone.into(),
                id: id.into(),
                body: body.into(),
            });
        });
    }

    /// The contact `from_phone` acknowledges message `id` the device sent it: delivered to its
    /// phone (`kind` `None`), or `Some("read")`.
    pub fn receipt(&self, from_phone: &str, id: &str, kind: Option<&str>) {
        self.shared.act(|state| {
            state.outbox.push_back(Push::Receipt {
                from: format!("{from_phone}@s.whatsapp.net"),
                id: id.into(),
                kind: kind.map(str::to_string),
            });
        });
    }

    /// The messages linked devices sent to `to` (`<phone>@s.whatsapp.net` or `<id>@g.us`), as
    /// their recipients read them, oldest first.
    pub fn sent_to(&self, to: &str) -> Vec<Sent> {
        self.shared
            .lock()
            .sent
            .iter()
            .filter(|s| s.to == to)
            .cloned()
            .collect()
    }

    /// The group with `id` (with or without `@g.us`), as the stand-in keeps it.
    pub fn group(&self, id: &str) -> Option<Group> {
        let id = id.split('@').next().unwrap_or(id);
        self.shared.lock().groups.get(id).cloned()
    }

    /// `by` has a group with `participants`, which the account is not in, and an invite code to
    /// it: (group id with `@g.us`, code).
    pub fn invite_to_group(
        &self,
        subject: &str,
        by: &str,
        participants: &[&str],
    ) -> (String, String) {
        let mut state = self.shared.lock();
        state.group_counter += 1;
        let id = format!("1203630000000{:05}", state.group_counter);
        let mut members = vec![(by.to_string(), "superadmin")];
        members.extend(participants.iter().map(|p| (p.to_string(), "member")));
        let code = format!("STANDININVITE{}", state.group_counter);
        state.groups.insert(
            id.clone(),
            Group {
                subject: subject.into(),
                description: None,
                creation: now_secs(),
                participants: members,
                invite: code.clone(),
                announce: false,
                locked: false,
                ephemeral: None,
                admins_add: false,
            },
        );
        (format!("{id}@g.us"), code)
    }

    /// The phone numbers the account has blocked.
    pub fn blocked(&self) -> Vec<String> {
        self.shared.lock().blocked.iter().cloned().collect()
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
    let peer = Peer {
        address: ProtocolAddress::new(
            &format!(
                "device-{}",
                client_static
                    .iter()
                    .take(8)
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            ),
            1u32.into(),
        ),
        key: client_static,
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
        for node in pending(&shared, login, &peer).await? {
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
        for reply in server::answer(&shared, &peer, &node).await? {
            session.send(&mut conn, &reply).await?;
        }
    }
}

/// What the test asked for that this connection can deliver now.
async fn pending(shared: &Shared, login: bool, peer: &Peer) -> anyhow::Result<Vec<Node>> {
    if !login {
        let scan = {
            let mut state = shared.lock();
            let mine = state
                .scanned
                .iter()
                .position(|s| s.noise_key.as_slice() == peer.key);
            mine.map(|i| state.scanned.remove(i))
        };
        return match scan {
            Some(scan) => Ok(vec![pair_success(&shared.account, &scan)?]),
            None => Ok(Vec::new()),
        };
    }
    let (pushes, bundle) = {
        let mut state = shared.lock();
        if std::mem::take(&mut state.remove_device) {
            return Ok(vec![NodeBuilder::new("stream:error")
                .attr("code", "401")
                .build()]);
        }
        match state.bundles.get(&peer.key).map(device_bundle) {
            // Texts wait for the device's keys; receipts are kept in order behind them.
            Some(bundle) => (state.outbox.drain(..).collect::<Vec<_>>(), Some(bundle?)),
            None => (Vec::new(), None),
        }
    };
    let mut nodes = Vec::new();
    for push in pushes {
        match push {
            Push::Text { from, id, body } => {
                let bundle = bundle.as_ref().context("device bundle")?;
                let phone = from.split('@').next().unwrap_or_default().to_string();
                let mut contacts = shared.contacts.lock().await;
                let contact = contact(&mut contacts, &phone)
                    .with_context(|| format!("{phone} is not a number the stand-in plays"))?;
                let text = wa::Message {
                    conversation: Some(body),
                    ..Default::default()
                };
                let (kind, ciphertext) = contact.encrypt(&peer.address, bundle, &text).await?;
                nodes.push(
                    NodeBuilder::new("message")
                        .attr("from", from)
                        .attr("id", id)
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
            Push::GroupText {
                group,
                from,
                id,
                body,
            } => {
                let bundle = bundle.as_ref().context("device bundle")?;
                let mut contacts = shared.contacts.lock().await;
                let contact = contact(&mut contacts, &from)
                    .with_context(|| format!("{from} is not a number the stand-in plays"))?;
                let (kind, pairwise, skmsg) = contact
                    .encrypt_group(&group, &peer.address, bundle, &body)
                    .await?;
                let enc = |kind: &'static str, bytes: Vec<u8>| {
                    NodeBuilder::new("enc")
                        .attr("v", "2")
                        .attr("type", kind)
                        .bytes(bytes)
                        .build()
                };
                nodes.push(
                    NodeBuilder::new("message")
                        .attr("from", group)
                        .attr("participant", format!("{from}@s.whatsapp.net"))
                        .attr("id", id)
                        .attr("t", now_secs().to_string())
                        .attr("type", "text")
                        .attr("notify", "Standin Bob")
                        .children([enc(kind, pairwise), enc("skmsg", skmsg)])
                        .build(),
                );
            }
            Push::Receipt { from, id, kind } => {
                let mut receipt = NodeBuilder::new("receipt")
                    .attr("from", from)
                    .attr("id", id)
                    .attr("t", now_secs().to_string());
                if let Some(kind) = kind {
                    receipt = receipt.attr("type", kind);
                }
                nodes.push(receipt.build());
            }
        }
    }
    Ok(nodes)
}

/// The device's uploaded keys as the bundle a contact starts a session from.
fn device_bundle(b: &DeviceBundle) -> anyhow::Result<PreKeyBundle> {
    Ok(PreKeyBundle::new(
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
    )?)
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

/// The contact `phone`, made on first use; `None` for a number the stand-in does not play.
fn contact<'a>(contacts: &'a mut HashMap<String, Contact>, phone: &str) -> Option<&'a mut Contact> {
    if !on_whatsapp(phone) {
        return None;
    }
    if !contacts.contains_key(phone) {
        match Contact::new() {
            Ok(c) => {
                contacts.insert(phone.to_string(), c);
            }
            Err(e) => {
                log::warn!("stand-in: no keys for {phone}: {e:#}");
                return None;
            }
        }
    }
    contacts.get_mut(phone)
}

fn djb(key: &[u8]) -> anyhow::Result<PublicKey> {
    Ok(PublicKey::from_djb_public_key_bytes(key)?)
}

fn now_secs() -> i64 {
    whatsapp_rust::chrono::Utc::now().timestamp()
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

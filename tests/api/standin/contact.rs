//! The contacts the stand-in plays: each one a WhatsApp user with only a phone (device 0), its own
//! Signal identity and prekeys, a session with every linked device it talks to, and the sender
//! keys those devices hand out in groups. Enough to encrypt texts to a device and to read what a
//! device sends, 1:1 (`pkmsg`/`msg`) and in groups (`skmsg`).

use std::collections::HashMap;

use whatsapp_rust::anyhow::{self, bail, Context as _};
use whatsapp_rust::wacore::libsignal::protocol::{
    self as signal, CiphertextMessage, CiphertextMessageType, Direction, GenericSignedPreKey,
    IdentityChange, IdentityKey, IdentityKeyPair, IdentityKeyStore, KeyPair, PreKeyBundle,
    PreKeyId, PreKeyRecord, PreKeySignalMessage, PreKeyStore, ProtocolAddress, SenderKeyName,
    SenderKeyRecord, SenderKeyStore, SessionRecord, SessionStore, SignalMessage, SignedPreKeyId,
    SignedPreKeyRecord, SignedPreKeyStore, Timestamp, UsePQRatchet,
};
use whatsapp_rust::wacore::messages::{decode_plaintext, MessageUtils};
use whatsapp_rust::waproto::whatsapp as wa;

const SIGNED_PRE_KEY_ID: u32 = 1;

/// A contact's public keys, as a prekey fetch hands them out.
pub(super) struct Bundle {
    pub registration_id: u32,
    pub identity: Vec<u8>,
    pub signed_pre_key: (u32, Vec<u8>, Vec<u8>),
    pub pre_key: (u32, Vec<u8>),
}

pub(super) struct Contact {
    identity: ContactIdentity,
    sessions: ContactSessions,
    pre_keys: PreKeys,
    signed: SignedPreKeys,
    sender_keys: SenderKeys,
    /// The signed prekey's public half and its signature, as handed out.
    signed_public: (Vec<u8>, Vec<u8>),
    next_pre_key: u32,
}

/// `ThreadRng` is not `Send`, and the stand-in's futures cross awaits on spawned tasks.
fn rng() -> rand010::rngs::StdRng {
    <rand010::rngs::StdRng as rand010::SeedableRng>::from_rng(&mut rand010::rng())
}

impl Contact {
    pub fn new() -> anyhow::Result<Self> {
        let pair = IdentityKeyPair::generate(&mut rand010::rng());
        let signed_pair = KeyPair::generate(&mut rand010::rng());
        // The signature covers the serialized (type-prefixed) public key.
        let signature = pair
            .private_key()
            .calculate_signature(&signed_pair.public_key.serialize(), &mut rand010::rng())?;
        let record = SignedPreKeyRecord::new(
            SIGNED_PRE_KEY_ID.into(),
            Timestamp::from_epoch_millis(0),
            &signed_pair,
            &signature,
        );
        Ok(Self {
            identity: ContactIdentity {
                pair,
                registration_id: rand010::random::<u32>() & 0x3fff,
                known: HashMap::new(),
            },
            sessions: ContactSessions::default(),
            pre_keys: PreKeys::default(),
            signed: SignedPreKeys(record),
            sender_keys: SenderKeys::default(),
            signed_public: (
                signed_pair.public_key.public_key_bytes().to_vec(),
                signature.to_vec(),
            ),
            next_pre_key: 1,
        })
    }

    /// The keys a device fetches to start a session, with a one-time prekey of its own.
    pub fn bundle(&mut self) -> anyhow::Result<Bundle> {
        let id = self.next_pre_key;
        self.next_pre_key += 1;
        let one_time = KeyPair::generate(&mut rand010::rng());
        self.pre_keys
            .0
            .insert(id, PreKeyRecord::new(id.into(), &one_time));
        Ok(Bundle {
            registration_id: self.identity.registration_id,
            identity: self.identity.pair.public_key().public_key_bytes().to_vec(),
            signed_pre_key: (
                SIGNED_PRE_KEY_ID,
                self.signed_public.0.clone(),
                self.signed_public.1.clone(),
            ),
            pre_key: (id, one_time.public_key.public_key_bytes().to_vec()),
        })
    }

    /// Encrypts `message` for `device`, starting a session from its `bundle` if there is none.
    pub async fn encrypt(
        &mut self,
        device: &ProtocolAddress,
        bundle: &PreKeyBundle,
        message: &wa::Message,
    ) -> anyhow::Result<(&'static str, Vec<u8>)> {
        if !self.sessions.0.contains_key(device) {
            signal::process_prekey_bundle(
                device,
                &mut self.sessions,
                &mut self.identity,
                bundle,
                &mut rng(),
                UsePQRatchet::No,
            )
            .await?;
        }
        let padded = MessageUtils::encode_and_pad(message);
        let sealed =
            signal::message_encrypt(&padded, device, &mut self.sessions, &mut self.identity)
                .await?;
        let kind = match sealed.message_type() {
            CiphertextMessageType::PreKey => "pkmsg",
            CiphertextMessageType::Whisper => "msg",
            other => bail!("unexpected Signal message type {other:?}"),
        };
        Ok((kind, sealed.serialize().to_vec()))
    }

    /// A text from this contact to `group`, for `device`: the contact's sender key for the
    /// group, sealed pairwise (its first message to the group, as WhatsApp sends it), and the
    /// text sealed with that key (`skmsg`).
    pub async fn encrypt_group(
        &mut self,
        group: &str,
        device: &ProtocolAddress,
        bundle: &PreKeyBundle,
        text: &str,
    ) -> anyhow::Result<(&'static str, Vec<u8>, Vec<u8>)> {
        let own = SenderKeyName::new(group.to_string(), "self".to_string());
        let skdm =
            signal::create_sender_key_distribution_message(&own, &mut self.sender_keys, &mut rng())
                .await?;
        let distribution = wa::Message {
            sender_key_distribution_message: whatsapp_rust::buffa::MessageField::some(
                wa::message::SenderKeyDistributionMessage {
                    group_id: Some(group.to_string()),
                    axolotl_sender_key_distribution_message: Some(skdm.serialized().to_vec()),
                },
            ),
            ..Default::default()
        };
        let (kind, pairwise) = self.encrypt(device, bundle, &distribution).await?;
        let content = wa::Message {
            conversation: Some(text.to_string()),
            ..Default::default()
        };
        let padded = MessageUtils::encode_and_pad(&content);
        let sealed =
            signal::group_encrypt(&mut self.sender_keys, &own, &padded, &mut rng()).await?;
        Ok((kind, pairwise, sealed.serialized().to_vec()))
    }

    /// Reads a pairwise `<enc>` (`pkmsg` or `msg`) from `device`. A sender key it carries (the
    /// device's key for a group) is kept for [`Contact::decrypt_group`].
    pub async fn decrypt(
        &mut self,
        device: &ProtocolAddress,
        kind: &str,
        bytes: &[u8],
    ) -> anyhow::Result<wa::Message> {
        let sealed = match kind {
            "pkmsg" => {
                CiphertextMessage::PreKeySignalMessage(PreKeySignalMessage::try_from(bytes)?)
            }
            "msg" => CiphertextMessage::SignalMessage(SignalMessage::try_from(bytes)?),
            other => bail!("a pairwise <enc> of type {other:?}"),
        };
        let opened = signal::message_decrypt(
            &sealed,
            device,
            &mut self.sessions,
            &mut self.identity,
            &mut self.pre_keys,
            &self.signed,
            &mut rng(),
            UsePQRatchet::No,
        )
        .await?;
        let message = decode_plaintext(&opened.plaintext, 2)?;
        if let Some(skdm) = message.sender_key_distribution_message.as_option() {
            let group = skdm
                .group_id
                .clone()
                .context("a sender key without a group")?;
            let key = skdm
                .axolotl_sender_key_distribution_message
                .as_deref()
                .context("a sender key without its key")?;
            let key = signal::SenderKeyDistributionMessage::try_from(key)?;
            signal::process_sender_key_distribution_message(
                &sender_key_name(&group, device),
                &key,
                &mut self.sender_keys,
            )
            .await?;
        }
        Ok(message)
    }

    /// Whether `device` gave this contact its sender key for `group`.
    pub fn has_sender_key(&self, group: &str, device: &ProtocolAddress) -> bool {
        self.sender_keys
            .0
            .contains_key(&sender_key_name(group, device))
    }

    /// Reads a group `<enc type="skmsg">` that `device` sent to `group`.
    pub async fn decrypt_group(
        &mut self,
        group: &str,
        device: &ProtocolAddress,
        bytes: &[u8],
    ) -> anyhow::Result<wa::Message> {
        let plain = signal::group_decrypt(
            bytes,
            &mut self.sender_keys,
            &sender_key_name(group, device),
        )
        .await?;
        decode_plaintext(&plain, 2)
    }
}

fn sender_key_name(group: &str, device: &ProtocolAddress) -> SenderKeyName {
    SenderKeyName::new(group.to_string(), device.to_string())
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

/// One-time prekeys stay after use: a device repeats its `pkmsg` (same prekey) until it has
/// heard back from the contact.
#[derive(Default)]
struct PreKeys(HashMap<u32, PreKeyRecord>);

#[whatsapp_rust::async_trait]
impl PreKeyStore for PreKeys {
    async fn get_pre_key(&self, id: PreKeyId) -> signal::error::Result<PreKeyRecord> {
        self.0
            .get(&u32::from(id))
            .cloned()
            .ok_or(signal::SignalProtocolError::InvalidPreKeyId)
    }
    async fn save_pre_key(
        &mut self,
        id: PreKeyId,
        record: &PreKeyRecord,
    ) -> signal::error::Result<()> {
        self.0.insert(id.into(), record.clone());
        Ok(())
    }
    async fn remove_pre_key(&mut self, _: PreKeyId) -> signal::error::Result<()> {
        Ok(())
    }
}

struct SignedPreKeys(SignedPreKeyRecord);

#[whatsapp_rust::async_trait]
impl SignedPreKeyStore for SignedPreKeys {
    async fn get_signed_pre_key(
        &self,
        id: SignedPreKeyId,
    ) -> signal::error::Result<SignedPreKeyRecord> {
        if u32::from(id) == SIGNED_PRE_KEY_ID {
            Ok(self.0.clone())
        } else {
            Err(signal::SignalProtocolError::InvalidSignedPreKeyId)
        }
    }
    async fn save_signed_pre_key(
        &mut self,
        _: SignedPreKeyId,
        record: &SignedPreKeyRecord,
    ) -> signal::error::Result<()> {
        self.0 = record.clone();
        Ok(())
    }
}

#[derive(Default)]
struct SenderKeys(HashMap<SenderKeyName, SenderKeyRecord>);

#[whatsapp_rust::async_trait]
impl SenderKeyStore for SenderKeys {
    async fn store_sender_key(
        &mut self,
        name: &SenderKeyName,
        record: SenderKeyRecord,
    ) -> signal::error::Result<()> {
        self.0.insert(name.clone(), record);
        Ok(())
    }
    async fn load_sender_key(
        &self,
        name: &SenderKeyName,
    ) -> signal::error::Result<Option<SenderKeyRecord>> {
        Ok(self.0.get(name).cloned())
    }
}

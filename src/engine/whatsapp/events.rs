//! What the crate's events mean for a session (API.md §4), as [`EngineEvent`]s. Pure functions,
//! so the mapping is tested without a connection; the engine adds the side effects.

use whatsapp_rust::types::events::{ConnectFailureReason, Event, InboundMessage};
use whatsapp_rust::types::presence::ReceiptType;
use whatsapp_rust::wacore::proto_helpers::MessageExt;
use whatsapp_rust::waproto::whatsapp as wa;

use super::jid;
use crate::engine::contract::{EngineEvent, Incoming, IncomingMedia, LinkedAccount, MediaHandle};

pub const QR_EXHAUSTED: &str =
    "QR code was not scanned: every code WhatsApp issued has expired. Start the session again to get a new one.";

/// The session-level meaning of one engine event; `account` is asked only on `Connected`.
pub fn translate(
    event: &Event,
    account: impl FnOnce() -> Option<LinkedAccount>,
) -> Vec<EngineEvent> {
    let one = |e| vec![e];
    match event {
        Event::PairingQrCode(qr) => one(EngineEvent::Qr(qr.code.clone())),
        Event::PairingQrCodesExhausted(_) => one(EngineEvent::Failed {
            reason: QR_EXHAUSTED.into(),
        }),
        Event::PairSuccess(_) => one(EngineEvent::Authenticating),
        Event::PairError(e) => one(EngineEvent::Failed {
            reason: format!("Linking the phone failed: {}", e.error),
        }),
        Event::QrScannedWithoutMultidevice(_) => one(EngineEvent::ConnectProblem {
            reason: "The phone scanned the QR code but has no multi-device support: update WhatsApp on the phone and scan again.".into(),
        }),
        Event::Connected(_) => match account() {
            Some(acc) => one(EngineEvent::Connected(acc)),
            None => one(EngineEvent::ConnectProblem {
                reason: "Connected, but WhatsApp did not tell which account this is".into(),
            }),
        },
        Event::Disconnected(d) => one(EngineEvent::Disconnected {
            reason: format!("Connection to WhatsApp lost: {}", d.reason),
        }),
        Event::LoggedOut(l) => one(EngineEvent::LoggedOut {
            reason: format!(
                "Logged out by WhatsApp ({}): the device was unlinked from the phone; start the session and scan a new QR code.",
                describe_failure(l.reason)
            ),
        }),
        Event::StreamReplaced(_) => one(EngineEvent::Failed {
            reason: "Another client opened this account's connection (stream replaced); start the session again to take it back.".into(),
        }),
        Event::TemporaryBan(ban) => one(EngineEvent::Failed {
            reason: format!(
                "WhatsApp temporarily banned this account ({}); it may connect again in {} s.",
                ban.code,
                ban.expire.num_seconds()
            ),
        }),
        Event::ClientOutdated(_) => one(EngineEvent::Failed {
            reason: "WhatsApp refused this client as outdated: clear ENGINE_APP_VERSION or update OpenWA.".into(),
        }),
        Event::ConnectFailure(f) => {
            let reason = format!(
                "WhatsApp refused the connection: {}{}",
                describe_failure(f.reason),
                f.message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            );
            if f.reason.should_reconnect() {
                one(EngineEvent::ConnectProblem { reason })
            } else {
                one(EngineEvent::Failed { reason })
            }
        }
        Event::StreamError(e) => one(EngineEvent::ConnectProblem {
            reason: format!("WhatsApp closed the stream with error {}", e.code),
        }),
        // The durability hook stored these already; only batches it did not see (newsletters,
        // recovered placeholders) are stored from the event.
        Event::Messages(batch) if batch.hook_committed => Vec::new(),
        Event::Messages(batch) => batch.iter().filter_map(incoming).map(EngineEvent::Message).collect(),
        Event::Receipt(r) => {
            let Some(status) = receipt_status(&r.r#type) else {
                return Vec::new();
            };
            let Some(chat_id) = jid::from_jid(&r.source.chat) else {
                return Vec::new();
            };
            r.message_ids
                .iter()
                .map(|id| EngineEvent::Ack {
                    chat_id: chat_id.clone(),
                    wa_id: id.to_string(),
                    status: status.into(),
                })
                .collect()
        }
        // The server refused a message it had accepted on the socket (a nack carries a code).
        Event::ServerAck(a) if a.class.as_deref() == Some("message") && a.error.is_some() => {
            let Some(chat_id) = a.from.as_ref().and_then(jid::from_jid) else {
                return Vec::new();
            };
            one(EngineEvent::Ack {
                chat_id,
                wa_id: a.id.clone(),
                status: "failed".into(),
            })
        }
        _ => Vec::new(),
    }
}

fn describe_failure(reason: ConnectFailureReason) -> String {
    let text = match reason {
        ConnectFailureReason::LoggedOut => "logged out",
        ConnectFailureReason::TempBanned => "temporarily banned",
        ConnectFailureReason::AccountLocked => "account locked",
        ConnectFailureReason::UnknownLogout => "logged out",
        ConnectFailureReason::ClientOutdated => "client outdated",
        ConnectFailureReason::BadUserAgent => "bad user agent",
        ConnectFailureReason::ServiceUnavailable => "service unavailable",
        ConnectFailureReason::InternalServerError => "internal server error",
        _ => "refused",
    };
    format!("{text}, code {}", reason.code())
}

/// The message status an ack moves an outgoing message to.
fn receipt_status(kind: &ReceiptType) -> Option<&'static str> {
    match kind {
        ReceiptType::Delivered => Some("delivered"),
        ReceiptType::Read | ReceiptType::Played => Some("read"),
        // `read-self`/`played-self` are this account's other devices reading incoming messages;
        // `server-error` asks for a media re-upload. Neither says anything about a sent message.
        _ => None,
    }
}

/// A message someone else sent into one of the account's chats. Our own messages (sent from the
/// phone) and protocol traffic (reactions, edits, key distribution) are not incoming messages.
/// An incoming message as the session stores it; `None` for the account's own (sent from the
/// phone) and for what is not a message a user sees.
pub fn incoming(msg: &InboundMessage) -> Option<Incoming> {
    let info = &msg.info;
    if info.source.is_from_me {
        return None;
    }
    let base = msg.message.get_base_message();
    let kind = kind_of(base)?;
    let chat_id = jid::from_jid(&info.source.chat)?;
    let from = jid::from_jid(&info.source.sender).unwrap_or_else(|| chat_id.clone());
    let body = base
        .text_content()
        .or_else(|| base.get_caption())
        .map(str::to_string);
    let quoted_message_id = base
        .extended_text_message
        .as_option()
        .and_then(|t| t.context_info.as_option())
        .and_then(|c| c.stanza_id.clone());
    Some(Incoming {
        wa_id: info.id.to_string(),
        chat_id,
        from,
        body,
        kind: kind.into(),
        timestamp: info.timestamp.timestamp(),
        quoted_message_id,
        media: media_of(base),
        push_name: Some(info.push_name.to_string()).filter(|n| !n.is_empty()),
    })
}

/// The file a message carries: its facts now, and what the engine's `download` needs to fetch and
/// decrypt it later (the message body, re-encoded), since downloading inside the durability hook
/// would hold up the acknowledgement.
pub fn media_of(m: &wa::Message) -> Option<IncomingMedia> {
    let (mimetype, filename, size) = if let Some(i) = m.image_message.as_option() {
        (i.mimetype.clone(), None, i.file_length)
    } else if let Some(v) = m.video_message.as_option() {
        (v.mimetype.clone(), None, v.file_length)
    } else if let Some(a) = m.audio_message.as_option() {
        (a.mimetype.clone(), None, a.file_length)
    } else if let Some(d) = m.document_message.as_option() {
        (d.mimetype.clone(), d.file_name.clone(), d.file_length)
    } else if let Some(s) = m.sticker_message.as_option() {
        (s.mimetype.clone(), None, s.file_length)
    } else {
        return None;
    };
    Some(IncomingMedia {
        // A phone's value is stored and served back as a Content-Type: only a clean one is kept.
        mimetype: mimetype
            .filter(|m| crate::engine::outgoing::is_media_type(m))
            .unwrap_or_else(|| "application/octet-stream".into()),
        filename,
        size_bytes: size,
        source: MediaHandle::WhatsApp(std::sync::Arc::new(
            whatsapp_rust::waproto::codec::message_to_vec(m),
        )),
    })
}

/// OpenWA's message `type` for a user-visible message; `None` for protocol traffic.
pub fn kind_of(m: &wa::Message) -> Option<&'static str> {
    let kinds = [
        (
            m.conversation.is_some() || m.extended_text_message.is_set(),
            "text",
        ),
        (m.image_message.is_set(), "image"),
        (m.video_message.is_set(), "video"),
        (m.audio_message.is_set(), "audio"),
        (m.document_message.is_set(), "document"),
        (m.sticker_message.is_set(), "sticker"),
        (m.location_message.is_set(), "location"),
        (m.contact_message.is_set(), "contact"),
    ];
    kinds
        .into_iter()
        .find(|(present, _)| *present)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use whatsapp_rust::types::events::{
        Connected, LoggedOut, PairSuccess, PairingQrCode, PairingQrCodesExhausted, StreamReplaced,
    };
    use whatsapp_rust::Jid;

    use super::*;

    fn account() -> Option<LinkedAccount> {
        Some(LinkedAccount {
            phone: "628123456789".into(),
            push_name: Some("Bot".into()),
        })
    }

    fn only(events: Vec<EngineEvent>) -> EngineEvent {
        assert_eq!(events.len(), 1, "{events:?}");
        events.into_iter().next().unwrap()
    }

    #[test]
    fn qr_codes_replace_each_other_and_run_out_into_failed() {
        let qr = Event::PairingQrCode(
            PairingQrCode::builder()
                .code("REF-1,noise,identity,adv,1".into())
                .timeout(Duration::from_secs(60))
                .build(),
        );
        assert!(
            matches!(only(translate(&qr, account)), EngineEvent::Qr(t) if t.starts_with("REF-1,"))
        );
        let exhausted = Event::PairingQrCodesExhausted(
            PairingQrCodesExhausted::builder()
                .disconnected(true)
                .build(),
        );
        assert!(matches!(
            only(translate(&exhausted, account)),
            EngineEvent::Failed { reason } if reason.contains("not scanned")
        ));
    }

    #[test]
    fn pairing_then_connection_reports_the_account() {
        let paired = Event::PairSuccess(
            PairSuccess::builder()
                .id(Jid::pn("628123456789"))
                .lid(Jid::lid("123456789012345"))
                .business_name(String::new())
                .platform("android".into())
                .build(),
        );
        assert!(matches!(
            only(translate(&paired, account)),
            EngineEvent::Authenticating
        ));
        let connected = Event::Connected(Connected::builder().build());
        assert!(matches!(
            only(translate(&connected, account)),
            EngineEvent::Connected(a) if a.phone == "628123456789"
        ));
        // Without an account the session cannot be ready; the problem is reported instead.
        assert!(matches!(
            only(translate(&connected, || None)),
            EngineEvent::ConnectProblem { .. }
        ));
    }

    #[test]
    fn unlinking_and_replacement_end_the_session_with_a_reason() {
        let out = Event::LoggedOut(
            LoggedOut::builder()
                .on_connect(true)
                .reason(ConnectFailureReason::LoggedOut)
                .build(),
        );
        assert!(matches!(
            only(translate(&out, account)),
            EngineEvent::LoggedOut { reason } if reason.contains("unlinked") && reason.contains("401")
        ));
        let replaced = Event::StreamReplaced(StreamReplaced::builder().build());
        assert!(matches!(
            only(translate(&replaced, account)),
            EngineEvent::Failed { reason } if reason.contains("stream replaced")
        ));
    }

    #[test]
    fn message_kinds() {
        let text = wa::Message {
            conversation: Some("hi".into()),
            ..Default::default()
        };
        assert_eq!(kind_of(&text), Some("text"));
        let image = wa::Message {
            image_message: whatsapp_rust::buffa::MessageField::some(Default::default()),
            ..Default::default()
        };
        assert_eq!(kind_of(&image), Some("image"));
        assert_eq!(kind_of(&wa::Message::default()), None);
    }

    #[test]
    fn receipts_map_to_message_statuses() {
        assert_eq!(receipt_status(&ReceiptType::Delivered), Some("delivered"));
        assert_eq!(receipt_status(&ReceiptType::Read), Some("read"));
        assert_eq!(receipt_status(&ReceiptType::Played), Some("read"));
        assert_eq!(receipt_status(&ReceiptType::ServerError), None);
        assert_eq!(receipt_status(&ReceiptType::ReadSelf), None);
        assert_eq!(receipt_status(&ReceiptType::Retry), None);
    }
}

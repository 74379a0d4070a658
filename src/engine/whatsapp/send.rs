//! What an [`Outgoing`] becomes on WhatsApp's wire: the protobuf message (upload and encryption
//! are the crate's; this is only the mapping), the quote of a reply and the key of a target.

use whatsapp_rust::buffa::MessageField;
use whatsapp_rust::download::MediaType;
use whatsapp_rust::media::{self, AudioOptions, DocumentOptions, ImageOptions, VideoOptions};
use whatsapp_rust::upload::UploadResponse;
use whatsapp_rust::wacore::proto_helpers::{
    build_quote_context_with_info, MessageBuilderExt, MessageExt,
};
use whatsapp_rust::wacore_binary::JidExt as _;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

use super::jid;
use crate::engine::contract::EngineError;
use crate::engine::outgoing::vcard;
use crate::engine::outgoing::{Content, MediaKind, MessageRef, Outgoing, OutgoingMedia};

pub fn media_type(kind: MediaKind) -> MediaType {
    match kind {
        MediaKind::Image => MediaType::Image,
        MediaKind::Video => MediaType::Video,
        MediaKind::Audio => MediaType::Audio,
        MediaKind::Document => MediaType::Document,
        MediaKind::Sticker => MediaType::Sticker,
    }
}

fn chat_jid(chat_id: &str) -> Result<Jid, EngineError> {
    jid::to_jid(chat_id).ok_or_else(|| EngineError(format!("'{chat_id}' is not a chat id")))
}

/// The engine's key of a stored message: in groups it names the author.
pub fn key_of(target: &MessageRef) -> Result<(Jid, wa::MessageKey), EngineError> {
    let chat = chat_jid(&target.chat_id)?;
    let author = if chat.is_group() && !target.from_me {
        Some(chat_jid(&target.sender)?)
    } else {
        None
    };
    let key = whatsapp_rust::message_key(&target.wa_id, &chat, target.from_me, author.as_ref());
    Ok((chat, key))
}

/// The quote of a reply: the quoted message's id, author and a preview rebuilt from its text.
fn quote(
    quoted: &MessageRef,
    chat: &Jid,
    own: Option<&Jid>,
) -> Result<wa::ContextInfo, EngineError> {
    let quoted_chat = chat_jid(&quoted.chat_id)?;
    let sender = match (quoted.from_me, own) {
        (true, Some(own)) => own.to_non_ad(),
        _ => chat_jid(&quoted.sender)?,
    };
    let preview = wa::Message::text(quoted.body.clone().unwrap_or_default());
    Ok(build_quote_context_with_info(
        &quoted.wa_id,
        &sender,
        &quoted_chat,
        chat,
        &preview,
    ))
}

/// The message for `outgoing` to `chat`, with `upload` the upload of its media (if any). `own` is
/// this account's JID, the author when a reply quotes one of its own messages.
pub fn build(
    outgoing: &Outgoing,
    chat: &Jid,
    upload: Option<UploadResponse>,
    own: Option<&Jid>,
) -> Result<wa::Message, EngineError> {
    let mut context = match &outgoing.quoted {
        Some(quoted) => Some(quote(quoted, chat, own)?),
        None => None,
    };
    if let Content::Text { mentions, .. } = &outgoing.content {
        if !mentions.is_empty() {
            context.get_or_insert_with(Default::default).mentioned_jid = mentions
                .iter()
                .filter_map(|m| jid::to_jid(m))
                .map(|j| j.to_non_ad_string())
                .collect();
        }
    }
    if outgoing.forwarded {
        let c = context.get_or_insert_with(Default::default);
        c.is_forwarded = Some(true);
        c.forwarding_score = Some(1);
    }
    let mut message = match &outgoing.content {
        Content::Text { text, .. } => wa::Message::text(text.clone()),
        Content::Media(m) => {
            let upload = upload.ok_or_else(|| {
                EngineError("the media was not uploaded before the message was built".into())
            })?;
            media_message(m, upload)
        }
        Content::Location {
            latitude,
            longitude,
            description,
            address,
        } => wa::Message {
            location_message: MessageField::some(wa::message::LocationMessage {
                degrees_latitude: Some(*latitude),
                degrees_longitude: Some(*longitude),
                name: description.clone(),
                address: address.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
        Content::Contact { name, number } => wa::Message {
            contact_message: MessageField::some(wa::message::ContactMessage {
                display_name: Some(name.clone()),
                vcard: Some(vcard(name, number)),
                ..Default::default()
            }),
            ..Default::default()
        },
        Content::Poll {
            name,
            options,
            allow_multiple_answers,
        } => poll_message(name, options, *allow_multiple_answers, new_secret()),
    };
    if let Some(context) = context {
        message.set_context_info(context);
    }
    Ok(message)
}

/// A fresh 32-byte message secret: voters derive their vote's key from it.
fn new_secret() -> Vec<u8> {
    use rand::Rng;
    let mut secret = vec![0u8; 32];
    rand::thread_rng().fill(&mut secret[..]);
    secret
}

/// A poll as WhatsApp Web builds it: v3 for one answer, v1 for several (`selectableOptionsCount`
/// is then the number of options), text content, and the secret in the message context, which
/// the crate keeps so votes can be decrypted later.
pub fn poll_message(
    name: &str,
    options: &[String],
    multiple: bool,
    secret: Vec<u8>,
) -> wa::Message {
    let poll = wa::message::PollCreationMessage {
        name: Some(name.to_string()),
        options: options
            .iter()
            .map(|o| wa::message::poll_creation_message::Option {
                option_name: Some(o.clone()),
                option_hash: None,
            })
            .collect(),
        selectable_options_count: Some(if multiple { options.len() as u32 } else { 1 }),
        poll_content_type: Some(wa::message::PollContentType::TEXT),
        ..Default::default()
    };
    let mut message = if multiple {
        wa::Message {
            poll_creation_message: MessageField::some(poll),
            ..Default::default()
        }
    } else {
        wa::Message {
            poll_creation_message_v3: MessageField::some(poll),
            ..Default::default()
        }
    };
    message.message_context_info = MessageField::some(wa::MessageContextInfo {
        message_secret: Some(secret),
        ..Default::default()
    });
    message
}

fn media_message(m: &OutgoingMedia, upload: UploadResponse) -> wa::Message {
    let mimetype = Some(m.mimetype.clone());
    match m.kind {
        MediaKind::Image => media::image_message(
            upload,
            ImageOptions {
                caption: m.caption.clone(),
                mimetype,
                ..Default::default()
            },
        ),
        MediaKind::Video => media::video_message(
            upload,
            VideoOptions {
                caption: m.caption.clone(),
                mimetype,
                ..Default::default()
            },
        ),
        MediaKind::Audio => media::audio_message(
            upload,
            AudioOptions {
                mimetype,
                ptt: Some(m.ptt),
                ..Default::default()
            },
        ),
        MediaKind::Document => media::document_message(
            upload,
            DocumentOptions {
                mimetype,
                file_name: m.filename.clone(),
                title: m.filename.clone(),
                caption: m.caption.clone(),
                ..Default::default()
            },
        ),
        MediaKind::Sticker => wa::Message {
            sticker_message: MessageField::some(wa::message::StickerMessage {
                url: Some(upload.url),
                direct_path: Some(upload.direct_path),
                media_key: Some(upload.media_key.to_vec()),
                file_sha256: Some(upload.file_sha256.to_vec()),
                file_enc_sha256: Some(upload.file_enc_sha256.to_vec()),
                file_length: Some(upload.file_length),
                media_key_timestamp: Some(upload.media_key_timestamp),
                mimetype,
                is_animated: Some(whatsapp_rust::webp::is_animated(&m.data)),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Outgoing {
        Outgoing::new(Content::Text {
            text: s.into(),
            mentions: Vec::new(),
        })
    }

    fn chat() -> Jid {
        jid::to_jid("628111@c.us").unwrap()
    }

    #[test]
    fn a_plain_text_is_a_conversation() {
        let m = build(&text("hi"), &chat(), None, None).unwrap();
        assert_eq!(m.conversation.as_deref(), Some("hi"));
    }

    #[test]
    fn a_reply_quotes_its_message_with_the_author() {
        let mut out = text("yes");
        out.quoted = Some(MessageRef {
            chat_id: "628111@c.us".into(),
            from_me: false,
            wa_id: "3EB0AA".into(),
            sender: "628111@c.us".into(),
            body: Some("are you open?".into()),
            kind: "text".into(),
        });
        let m = build(&out, &chat(), None, None).unwrap();
        let ext = m.extended_text_message.as_option().expect("extended text");
        assert_eq!(ext.text.as_deref(), Some("yes"));
        let ctx = ext.context_info.as_option().expect("context");
        assert_eq!(ctx.stanza_id.as_deref(), Some("3EB0AA"));
        assert_eq!(ctx.participant.as_deref(), Some("628111@s.whatsapp.net"));
        let quoted = ctx.quoted_message.as_option().expect("quoted");
        assert_eq!(quoted.conversation.as_deref(), Some("are you open?"));
    }

    #[test]
    fn mentions_and_forwards_carry_their_context() {
        let mut out = Outgoing::new(Content::Text {
            text: "hi @628222".into(),
            mentions: vec!["628222@c.us".into()],
        });
        out.forwarded = true;
        let m = build(&out, &chat(), None, None).unwrap();
        let ctx = m
            .extended_text_message
            .as_option()
            .and_then(|e| e.context_info.as_option())
            .expect("context");
        assert_eq!(ctx.mentioned_jid, vec!["628222@s.whatsapp.net".to_string()]);
        assert_eq!(ctx.is_forwarded, Some(true));
    }

    #[test]
    fn locations_and_contacts_fill_their_messages() {
        let loc = Outgoing::new(Content::Location {
            latitude: -6.2,
            longitude: 106.8,
            description: Some("Shop".into()),
            address: None,
        });
        let m = build(&loc, &chat(), None, None).unwrap();
        let l = m.location_message.as_option().expect("location");
        assert_eq!(l.degrees_latitude, Some(-6.2));
        assert_eq!(l.name.as_deref(), Some("Shop"));
        let card = Outgoing::new(Content::Contact {
            name: "Ann".into(),
            number: "628333".into(),
        });
        let m = build(&card, &chat(), None, None).unwrap();
        let c = m.contact_message.as_option().expect("contact");
        assert_eq!(c.display_name.as_deref(), Some("Ann"));
        assert!(c
            .vcard
            .as_deref()
            .unwrap_or_default()
            .contains("waid=628333"));
    }

    #[test]
    fn polls_are_v3_for_one_answer_and_v1_for_several_with_their_secret() {
        let options = vec!["Tea".to_string(), "Coffee".to_string(), "Water".to_string()];
        let single = poll_message("Drink?", &options, false, vec![7; 32]);
        let p = single
            .poll_creation_message_v3
            .as_option()
            .expect("a v3 poll");
        assert!(single.poll_creation_message.as_option().is_none());
        assert_eq!(p.name.as_deref(), Some("Drink?"));
        assert_eq!(p.selectable_options_count, Some(1));
        let names: Vec<_> = p
            .options
            .iter()
            .filter_map(|o| o.option_name.clone())
            .collect();
        assert_eq!(names, options);
        assert_eq!(
            single
                .message_context_info
                .as_option()
                .and_then(|c| c.message_secret.clone()),
            Some(vec![7; 32])
        );
        let multi = poll_message("Drinks?", &options, true, vec![1; 32]);
        let p = multi.poll_creation_message.as_option().expect("a v1 poll");
        assert_eq!(p.selectable_options_count, Some(3));
        // Through `build`, with a fresh secret each time.
        let out = Outgoing::new(Content::Poll {
            name: "Drink?".into(),
            options: options.clone(),
            allow_multiple_answers: false,
        });
        let a = build(&out, &chat(), None, None).expect("built");
        let b = build(&out, &chat(), None, None).expect("built");
        let secret = |m: &wa::Message| {
            m.message_context_info
                .as_option()
                .and_then(|c| c.message_secret.clone())
        };
        assert_eq!(secret(&a).map(|s| s.len()), Some(32));
        assert_ne!(secret(&a), secret(&b));
    }

    #[test]
    fn group_keys_name_the_author() {
        let target = MessageRef {
            chat_id: "1203630@g.us".into(),
            from_me: false,
            wa_id: "ABC".into(),
            sender: "628444@c.us".into(),
            body: None,
            kind: "text".into(),
        };
        let (_, key) = key_of(&target).unwrap();
        assert_eq!(key.participant.as_deref(), Some("628444@s.whatsapp.net"));
        assert_eq!(key.from_me, Some(false));
    }
}

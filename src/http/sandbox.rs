//! `/api/sandbox/sessions/:id/*` (admin): play the phone of a sandbox session.

use actix_web::{web, HttpResponse};

use super::extract::{Body, SessionPath};
use super::guard::{Admin, Authed};
use super::validate::{Fields, FromFields};
use crate::engine::SandboxCommand;
use crate::engine::{is_media_type, MEDIA_TYPE_RULE};
use crate::error::ApiResult;
use crate::sessions::messages::Sandbox;
use crate::state::AppState;
use crate::wa;
use base64::Engine as _;

fn digits(f: &mut Fields, field: &str) -> Option<String> {
    let v = f.string(field, false, 1, 32)?;
    if !(6..=15).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_digit()) {
        f.error(format!(
            "{field} must match /^[0-9]{{6,15}}$/ regular expression"
        ));
        return None;
    }
    Some(v)
}

fn chat(f: &mut Fields, field: &str, required: bool) -> Option<String> {
    let raw = f.string(field, required, 1, 128)?;
    let id = wa::normalize_chat_id(&raw);
    if id.is_none() {
        f.error(format!(
            "{field} must be a WhatsApp chat id such as 628123456789@c.us"
        ));
    }
    id
}

pub struct Cmd(SandboxCommand);

macro_rules! command_body {
    ($name:ident, $read:expr) => {
        pub struct $name(Cmd);
        impl FromFields for $name {
            fn from_fields(f: &mut Fields) -> Option<Self> {
                let read: fn(&mut Fields) -> Option<Cmd> = $read;
                read(f).map($name)
            }
        }
    };
}

command_body!(Scan, |f| {
    let phone = digits(f, "phone");
    let push_name = f.string("pushName", false, 1, 64);
    Some(Cmd(SandboxCommand::Scan { phone, push_name }))
});
command_body!(EnterCode, |f| {
    let code = f.string("code", true, 8, 8)?;
    Some(Cmd(SandboxCommand::EnterPairingCode { code }))
});
command_body!(IncomingBody, |f| {
    let from = chat(f, "from", true);
    let text = f.string("text", false, 1, 4096);
    let kind = f.one_of(
        "type",
        &[
            "text", "image", "video", "audio", "document", "sticker", "location", "contact",
        ],
    );
    let chat_id = chat(f, "chatId", false);
    let quoted_message_id = f.string("quotedMessageId", false, 1, 256);
    // (beyond) the file of a media message, as the phone would send it.
    let media = f
        .object("media", |m| {
            let data = m.string("base64", true, 1, usize::MAX).and_then(|b| {
                match base64::engine::general_purpose::STANDARD.decode(b.trim()) {
                    Ok(data) => Some(data),
                    Err(_) => {
                        m.error("media.base64 must be valid base64 data");
                        None
                    }
                }
            });
            let mimetype = m.string("mimetype", true, 3, 255).and_then(|t| {
                if is_media_type(&t) {
                    Some(t)
                } else {
                    let name = m.named("mimetype");
                    m.error(MEDIA_TYPE_RULE.replacen("mimetype", &name, 1));
                    None
                }
            });
            let filename = m.string("filename", false, 1, 255);
            Some((data?, mimetype?, filename))
        })
        .flatten();
    Some(Cmd(SandboxCommand::Incoming {
        from: from?,
        text,
        kind,
        chat_id,
        quoted_message_id,
        media,
    }))
});
command_body!(AckBody, |f| {
    let message_id = f.string("messageId", true, 1, 256);
    let status = f.one_of("status", &["delivered", "read", "failed"]);
    if status.is_none() && !f.has("status") {
        f.error("status must be one of the following values: delivered, read, failed");
    }
    Some(Cmd(SandboxCommand::Ack {
        message_id: message_id?,
        status: status?,
    }))
});
command_body!(DropBody, |f| {
    let reason = f.string("reason", false, 1, 500);
    // (beyond) how many reconnect attempts fail after the drop, to exercise the reconnect policy.
    let fail_reconnects = f.int("failReconnects", false, 0, 100).unwrap_or(0) as u32;
    Some(Cmd(SandboxCommand::Drop {
        reason,
        fail_reconnects,
    }))
});
command_body!(FailBody, |f| {
    let reason = f.string("reason", true, 1, 500)?;
    Some(Cmd(SandboxCommand::Fail { reason }))
});

async fn run(state: &AppState, id: &str, cmd: Cmd) -> ApiResult<HttpResponse> {
    let answer = state.sessions.ask(id, Sandbox(cmd.0)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// `POST /scan`
pub async fn scan(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(Scan(c)): Body<Scan>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// `POST /enter-pairing-code`
pub async fn enter_pairing_code(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(EnterCode(c)): Body<EnterCode>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// `POST /incoming`: 201 with the new message's id.
pub async fn incoming(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(IncomingBody(c)): Body<IncomingBody>,
) -> ApiResult<HttpResponse> {
    let answer = state.sessions.ask(&id, Sandbox(c.0)).await?;
    Ok(HttpResponse::Created().json(answer))
}
/// `POST /ack`
pub async fn ack(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(AckBody(c)): Body<AckBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// `POST /drop`
pub async fn drop_link(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(DropBody(c)): Body<DropBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// `POST /fail`
pub async fn fail(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(FailBody(c)): Body<FailBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}

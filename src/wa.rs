//! WhatsApp identifiers in OpenWA's wire forms (API.md §1): chat ids and serialized message ids.

/// Checks a chat id and returns its canonical form (`@s.whatsapp.net` becomes `@c.us`).
pub fn normalize_chat_id(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw == "status@broadcast" {
        return Some(raw.to_string());
    }
    let (user, server) = raw.rsplit_once('@')?;
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let ok = match server {
        "c.us" | "s.whatsapp.net" => digits(user, 5, 20),
        "lid" | "newsletter" => digits(user, 5, 30),
        "g.us" => match user.split_once('-') {
            Some((a, b)) => digits(a, 5, 20) && digits(b, 1, 20),
            None => digits(user, 5, 30),
        },
        _ => false,
    };
    if !ok {
        return None;
    }
    let server = if server == "s.whatsapp.net" {
        "c.us"
    } else {
        server
    };
    Some(format!("{user}@{server}"))
}

/// A person's chat id (`<digits>@c.us` or `<digits>@lid`) from what a client may send: those
/// forms, `@s.whatsapp.net`, or bare digits (OpenWA appends `@c.us`).
pub fn normalize_person_id(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let id = if raw.bytes().all(|b| b.is_ascii_digit()) {
        normalize_chat_id(&format!("{raw}@c.us"))?
    } else {
        normalize_chat_id(raw)?
    };
    (id.ends_with("@c.us") || id.ends_with("@lid")).then_some(id)
}

/// Whether a chat id names a group.
pub fn is_group(chat_id: &str) -> bool {
    chat_id.ends_with("@g.us")
}

/// `true_628123456789@c.us_3EB0ABCD`: who sent it, the chat, WhatsApp's id.
pub fn serialize_message_id(from_me: bool, chat_id: &str, wa_id: &str) -> String {
    format!("{from_me}_{chat_id}_{wa_id}")
}

/// A new WhatsApp message id in the form WhatsApp Web uses: `3EB0` and 20 uppercase hex digits.
pub fn new_message_id() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    format!(
        "3EB0{:08X}{:012X}",
        rng.gen::<u32>(),
        rng.gen::<u64>() & 0xFFFF_FFFF_FFFF
    )
}

/// The inverse of [`serialize_message_id`].
pub fn parse_message_id(id: &str) -> Option<(bool, String, String)> {
    let (from_me, rest) = if let Some(r) = id.strip_prefix("true_") {
        (true, r)
    } else {
        (false, id.strip_prefix("false_")?)
    };
    let (chat, wa_id) = rest.rsplit_once('_')?;
    let chat = normalize_chat_id(chat)?;
    (!wa_id.is_empty()).then(|| (from_me, chat, wa_id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_ids() {
        assert_eq!(
            normalize_chat_id("628123456789@c.us").as_deref(),
            Some("628123456789@c.us")
        );
        assert_eq!(
            normalize_chat_id("628123456789@s.whatsapp.net").as_deref(),
            Some("628123456789@c.us")
        );
        assert_eq!(
            normalize_chat_id("120363025246125486@g.us").as_deref(),
            Some("120363025246125486@g.us")
        );
        assert_eq!(
            normalize_chat_id("628123456789-1612345678@g.us").as_deref(),
            Some("628123456789-1612345678@g.us")
        );
        assert!(normalize_chat_id("status@broadcast").is_some());
        for bad in [
            "+628123456789",
            "628123456789",
            "abc@c.us",
            "+62812@c.us",
            "1@c.us",
            "62812345@x.us",
            "",
        ] {
            assert_eq!(normalize_chat_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn message_ids_round_trip() {
        let id = serialize_message_id(true, "628123456789@c.us", "3EB0ABCD");
        assert_eq!(id, "true_628123456789@c.us_3EB0ABCD");
        assert_eq!(
            parse_message_id(&id),
            Some((true, "628123456789@c.us".into(), "3EB0ABCD".into()))
        );
        assert_eq!(parse_message_id("maybe_1@c.us_x"), None);
    }
}

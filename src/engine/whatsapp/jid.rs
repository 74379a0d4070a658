//! The one place where OpenWA's chat ids (`<digits>@c.us`, API.md §1) and the engine's JIDs
//! (`<digits>@s.whatsapp.net`, device suffixes) meet, in both directions.

use whatsapp_rust::{Jid, Server};

use crate::wa;

/// The engine's JID for a canonical chat id, or `None` when the id is not one OpenWA accepts.
pub fn to_jid(chat_id: &str) -> Option<Jid> {
    let canonical = wa::normalize_chat_id(chat_id)?;
    if canonical == "status@broadcast" {
        return Some(Jid::status_broadcast());
    }
    let (user, server) = canonical.rsplit_once('@')?;
    Some(match server {
        "c.us" => Jid::pn(user),
        "lid" => Jid::lid(user),
        "g.us" => Jid::group(user),
        "newsletter" => Jid::newsletter(user),
        _ => return None,
    })
}

/// OpenWA's chat id for an engine JID: the device part dropped, `@s.whatsapp.net` as `@c.us`.
/// `None` for JIDs that name no chat a user could address (servers, bots, broadcast lists).
pub fn from_jid(jid: &Jid) -> Option<String> {
    if jid.server == Server::Pn && jid.user.is_empty() {
        return None;
    }
    wa::normalize_chat_id(&jid.to_non_ad_string())
}

/// The account's own phone number (digits) from its JID.
pub fn phone_of(jid: &Jid) -> String {
    jid.user.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_ids_use_c_us_outside_and_s_whatsapp_net_inside() {
        let jid = to_jid("628123456789@c.us").unwrap();
        assert_eq!(jid.to_non_ad_string(), "628123456789@s.whatsapp.net");
        assert_eq!(from_jid(&jid).as_deref(), Some("628123456789@c.us"));
        // The engine's own form is accepted on the way in too.
        let same = to_jid("628123456789@s.whatsapp.net").unwrap();
        assert_eq!(same, jid);
    }

    #[test]
    fn device_suffixes_are_dropped() {
        let device = Jid::pn_device("628123456789", 12);
        assert_eq!(from_jid(&device).as_deref(), Some("628123456789@c.us"));
        let lid = Jid::lid_device("123456789012345", 3);
        assert_eq!(from_jid(&lid).as_deref(), Some("123456789012345@lid"));
    }

    #[test]
    fn groups_channels_lids_and_status_round_trip() {
        for id in [
            "120363025246125486@g.us",
            "628123456789-1612345678@g.us",
            "120363025246125487@newsletter",
            "123456789012345@lid",
            "status@broadcast",
        ] {
            let jid = to_jid(id).unwrap_or_else(|| panic!("{id} should convert"));
            assert_eq!(from_jid(&jid).as_deref(), Some(id), "{id}");
        }
    }

    #[test]
    fn ids_openwa_refuses_do_not_convert() {
        for bad in [
            "+628123456789@c.us",
            "628123456789",
            "abc@g.us",
            "1@c.us",
            "",
        ] {
            assert!(to_jid(bad).is_none(), "{bad}");
        }
    }
}

//! What the stand-in answers a logged-in device, as WhatsApp's server would: the queries a send
//! needs (devices, LIDs, prekey bundles), the acks of its messages (read by the contacts the
//! stand-in plays, so a test sees what arrived), number checks, the blocklist, profile pictures
//! and the `w:g2` group queries, over groups the stand-in keeps.

use std::collections::BTreeSet;

use whatsapp_rust::anyhow::{self, bail, Context as _};
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::wacore::xml::DisplayableNodeRef;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::{Node, NodeRef, SERVER_JID};
use whatsapp_rust::waproto::whatsapp as wa;

use super::{
    lid_of, now_secs, on_whatsapp, phone_of_lid, DeviceBundle, Group, Peer, Sent, Shared, PHONE,
};

/// The id the stand-in's `<pair-success>` iq carries: the device's answer names it.
pub(super) const PAIR_SUCCESS_ID: &str = "standin-pair-success";
/// Every linked device is device 1 of the account (what `<pair-success>` tells it).
const OWN_DEVICE: &str = "1";

fn attr(node: &NodeRef<'_>, name: &str) -> Option<String> {
    node.get_attr(name).map(|v| v.as_str().into_owned())
}

/// The user part of a JID attribute (`15550002222:3@s.whatsapp.net` → `15550002222`), as a phone
/// number: a LID is mapped back to the phone it stands for.
fn phone_in(jid: &str) -> Option<String> {
    let (user, server) = jid.split_once('@')?;
    let user = user.split(':').next().unwrap_or(user);
    match server {
        "s.whatsapp.net" | "c.us" => Some(user.to_string()),
        "lid" => phone_of_lid(user),
        _ => None,
    }
}

fn pn(phone: &str) -> String {
    format!("{phone}@s.whatsapp.net")
}

fn text_of(node: &NodeRef<'_>) -> String {
    node.content_as_string()
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// The stand-in's answers to one stanza from a logged-in device (or one that is pairing).
pub(super) async fn answer(
    shared: &Shared,
    peer: &Peer,
    node: &NodeRef<'_>,
) -> anyhow::Result<Vec<Node>> {
    match node.tag.as_ref() {
        "iq" => iq(shared, peer, node).await,
        "message" => message(shared, peer, node).await,
        _ => Ok(Vec::new()),
    }
}

async fn iq(shared: &Shared, peer: &Peer, node: &NodeRef<'_>) -> anyhow::Result<Vec<Node>> {
    let kind = attr(node, "type").unwrap_or_default();
    let id = attr(node, "id").unwrap_or_default();
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
    let result = NodeBuilder::new("iq")
        .attr("type", "result")
        .attr("id", id.clone())
        .attr("from", SERVER_JID);
    let children = match attr(node, "xmlns").unwrap_or_default().as_str() {
        // The device waits for its critical collections before it calls itself connected: an
        // empty state for each one it asked for.
        "w:sync:app:state" => {
            let collections = node
                .get_optional_child("sync")
                .map(|sync| {
                    sync.get_children_by_tag("collection")
                        .filter_map(|c| attr(c, "name"))
                        .map(|name| {
                            NodeBuilder::new("collection")
                                .attr("name", name)
                                .attr("version", "0")
                                .build()
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            vec![NodeBuilder::new("sync").children(collections).build()]
        }
        "encrypt" if node.get_optional_child("registration").is_some() => {
            let bundle = device_bundle(node)?;
            shared.act(|state| {
                state.bundles.insert(peer.key.clone(), bundle);
            });
            Vec::new()
        }
        "encrypt" if node.get_optional_child("key").is_some() => vec![prekeys(shared, node).await?],
        "usync" => vec![usync(node)?],
        "blocklist" => blocklist(shared, node, &kind),
        "w:profile:picture" => match attr(node, "target").as_deref().and_then(phone_in) {
            Some(phone) if on_whatsapp(&phone) => vec![NodeBuilder::new("picture")
                .attr("id", "1")
                .attr("type", "image")
                .attr(
                    "url",
                    format!("https://pps.whatsapp.net/standin/{phone}.jpg"),
                )
                .build()],
            _ => return Ok(vec![error(&id, "404", "item-not-found")]),
        },
        "w:g2" => match groups(shared, node, &kind) {
            Ok(children) => children,
            Err((code, text)) => return Ok(vec![error(&id, code, text)]),
        },
        // Keepalive pings, prekey counts, privacy tokens, props: an empty result does.
        _ => Vec::new(),
    };
    Ok(vec![result.children(children).build()])
}

fn error(id: &str, code: &str, text: &str) -> Node {
    NodeBuilder::new("iq")
        .attr("type", "error")
        .attr("id", id.to_string())
        .attr("from", SERVER_JID)
        .children([NodeBuilder::new("error")
            .attr("code", code.to_string())
            .attr("text", text.to_string())
            .build()])
        .build()
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

fn number(b: &[u8]) -> u32 {
    b.iter().fold(0, |n, &x| (n << 8) | u32::from(x))
}

fn be(n: u32, len: usize) -> Vec<u8> {
    n.to_be_bytes()[4 - len..].to_vec()
}

/// `<key><user jid/>…</key>`: a bundle for each contact asked for (a new one-time prekey each
/// time), a 406 for anyone the stand-in does not play.
async fn prekeys(shared: &Shared, node: &NodeRef<'_>) -> anyhow::Result<Node> {
    let asked: Vec<String> = node
        .get_optional_child("key")
        .map(|k| {
            k.get_children_by_tag("user")
                .filter_map(|u| attr(u, "jid"))
                .collect()
        })
        .unwrap_or_default();
    let mut contacts = shared.contacts.lock().await;
    let mut users = Vec::new();
    for jid in asked {
        let user = NodeBuilder::new("user").attr("jid", jid.clone());
        let contact = phone_in(&jid).and_then(|p| super::contact(&mut contacts, &p));
        let Some(contact) = contact else {
            users.push(
                user.children([NodeBuilder::new("error")
                    .attr("code", "406")
                    .attr("text", "not-acceptable")
                    .build()])
                    .build(),
            );
            continue;
        };
        let b = contact.bundle()?;
        let leaf = |tag: &'static str, bytes: Vec<u8>| NodeBuilder::new(tag).bytes(bytes).build();
        users.push(
            user.children([
                leaf("registration", be(b.registration_id, 4)),
                leaf("type", vec![5]),
                leaf("identity", b.identity),
                NodeBuilder::new("key")
                    .children([leaf("id", be(b.pre_key.0, 3)), leaf("value", b.pre_key.1)])
                    .build(),
                NodeBuilder::new("skey")
                    .children([
                        leaf("id", be(b.signed_pre_key.0, 3)),
                        leaf("value", b.signed_pre_key.1),
                        leaf("signature", b.signed_pre_key.2),
                    ])
                    .build(),
            ])
            .build(),
        );
    }
    Ok(NodeBuilder::new("list").children(users).build())
}

/// A usync query, for the protocols it names: `contact` (is this number on WhatsApp), `lid`,
/// `devices` (each contact has its phone, device 0; the account has the asking device only, so a
/// send copies to no other device of its own).
fn usync(node: &NodeRef<'_>) -> anyhow::Result<Node> {
    let query = node
        .get_optional_child("usync")
        .context("a usync iq without <usync>")?;
    let protocols: BTreeSet<String> = query
        .get_optional_child("query")
        .and_then(|q| q.children())
        .map(|c| c.iter().map(|p| p.tag.to_string()).collect())
        .unwrap_or_default();
    let asked = query
        .get_optional_child("list")
        .map(|l| l.get_children_by_tag("user").collect::<Vec<_>>())
        .unwrap_or_default();
    let mut users = Vec::new();
    for user in asked {
        let jid = attr(user, "jid");
        let by_lid = jid.as_deref().is_some_and(|j| j.ends_with("@lid"));
        let phone = match &jid {
            Some(jid) => phone_in(jid),
            None => user
                .get_optional_child("contact")
                .map(text_of)
                .map(|n| n.trim_start_matches('+').to_string()),
        };
        let Some(phone) = phone else { continue };
        let registered = on_whatsapp(&phone) || phone == PHONE;
        let mut out = NodeBuilder::new("user");
        out = match (&jid, by_lid) {
            (Some(jid), true) => out.attr("jid", jid.clone()).attr("pn_jid", pn(&phone)),
            _ => out.attr("jid", pn(&phone)),
        };
        let mut children = Vec::new();
        if protocols.contains("contact") {
            let kind = if registered { "in" } else { "out" };
            children.push(NodeBuilder::new("contact").attr("type", kind).build());
        }
        // A LID only where the query looks a number up: a send then stays on phone numbers.
        if protocols.contains("lid") {
            let lid = NodeBuilder::new("lid");
            children.push(if protocols.contains("contact") && registered && !by_lid {
                lid.attr("val", format!("{}@lid", lid_of(&phone))).build()
            } else {
                lid.build()
            });
        }
        if protocols.contains("devices") {
            if phone == PHONE {
                children.push(own_devices()?);
            } else if registered {
                children.push(
                    NodeBuilder::new("devices")
                        .children([NodeBuilder::new("device-list")
                            .children([NodeBuilder::new("device").attr("id", "0").build()])
                            .build()])
                        .build(),
                );
            } else {
                continue;
            }
        }
        users.push(out.children(children).build());
    }
    Ok(NodeBuilder::new("usync")
        .children([NodeBuilder::new("list").children(users).build()])
        .build())
}

/// The account's devices: only the linked one, with the key index list a companion device needs.
fn own_devices() -> anyhow::Result<Node> {
    let t = u64::try_from(now_secs())?;
    let list = wa::ADVSignedKeyIndexList {
        details: Some(
            wa::ADVKeyIndexList {
                raw_id: Some(1),
                timestamp: Some(t),
                current_index: Some(1),
                valid_indexes: vec![1],
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        ..Default::default()
    }
    .encode_to_vec();
    Ok(NodeBuilder::new("devices")
        .children([
            NodeBuilder::new("device-list")
                .children([NodeBuilder::new("device")
                    .attr("id", OWN_DEVICE)
                    .attr("key-index", "1")
                    .build()])
                .build(),
            NodeBuilder::new("key-index-list")
                .attr("ts", t.to_string())
                .bytes(list)
                .build(),
        ])
        .build())
}

fn blocklist(shared: &Shared, node: &NodeRef<'_>, kind: &str) -> Vec<Node> {
    if kind == "get" {
        let items = shared
            .lock()
            .blocked
            .iter()
            .map(|p| NodeBuilder::new("item").attr("jid", pn(p)).build())
            .collect::<Vec<_>>();
        return vec![NodeBuilder::new("list").children(items).build()];
    }
    shared.act(|state| {
        for item in node.get_children_by_tag("item") {
            let phone = attr(item, "pn_jid")
                .or_else(|| attr(item, "jid"))
                .as_deref()
                .and_then(phone_in);
            let Some(phone) = phone else { continue };
            match attr(item, "action").as_deref() {
                Some("block") => {
                    state.blocked.insert(phone);
                }
                Some("unblock") => {
                    state.blocked.remove(&phone);
                }
                _ => {}
            }
        }
    });
    Vec::new()
}

type GroupError = (&'static str, &'static str);

/// `w:g2`: create, query, list, participants, subject, description, invite code, leave.
fn groups(shared: &Shared, node: &NodeRef<'_>, kind: &str) -> Result<Vec<Node>, GroupError> {
    let to = attr(node, "to").unwrap_or_default();
    let group_id = to.strip_suffix("@g.us").unwrap_or_default().to_string();
    let Some(op) = node.children().and_then(|c| c.first()) else {
        return Err(("400", "bad-request"));
    };
    let mut state = shared.lock();
    match op.tag.as_ref() {
        "create" => {
            state.group_counter += 1;
            let id = format!("1203630000000{:05}", state.group_counter);
            let mut participants = vec![(PHONE.to_string(), "superadmin")];
            for p in op.get_children_by_tag("participant") {
                if let Some(phone) = attr(p, "jid").as_deref().and_then(phone_in) {
                    if on_whatsapp(&phone) && !participants.iter().any(|(q, _)| *q == phone) {
                        participants.push((phone, "member"));
                    }
                }
            }
            let group = Group {
                subject: attr(op, "subject").unwrap_or_default(),
                description: None,
                creation: now_secs(),
                participants,
                invite: invite_code(),
                announce: false,
                locked: false,
                ephemeral: None,
                admins_add: false,
            };
            let node = group_node(&id, &group);
            state.groups.insert(id, group);
            Ok(vec![node])
        }
        "participating" => {
            let mine = state
                .groups
                .iter()
                .filter(|(_, g)| g.has(PHONE))
                .map(|(id, g)| group_node(id, g))
                .collect::<Vec<_>>();
            Ok(vec![NodeBuilder::new("groups").children(mine).build()])
        }
        "leave" => {
            for g in op.get_children_by_tag("group") {
                let id = attr(g, "id").unwrap_or_default();
                let id = id.strip_suffix("@g.us").unwrap_or(&id);
                if let Some(group) = state.groups.get_mut(id) {
                    group.participants.retain(|(p, _)| p != PHONE);
                }
            }
            Ok(Vec::new())
        }
        // By invite code (to `g.us`): where it leads (`get`), or join it (`set`).
        "invite" if group_id.is_empty() => {
            let code = attr(op, "code").unwrap_or_default();
            let found = state.groups.iter().find(|(_, g)| g.invite == code);
            let Some(id) = found.map(|(id, _)| id.clone()) else {
                return Err(("406", "not-acceptable"));
            };
            let Some(group) = state.groups.get_mut(&id) else {
                return Err(("406", "not-acceptable"));
            };
            if kind == "get" {
                return Ok(vec![group_node(&id, group)]);
            }
            if group.has(PHONE) {
                return Err(("409", "conflict"));
            }
            group.participants.push((PHONE.to_string(), "member"));
            Ok(vec![NodeBuilder::new("group")
                .attr("jid", format!("{id}@g.us"))
                .build()])
        }
        tag => {
            let Some(group) = state.groups.get_mut(&group_id) else {
                return Err(("404", "item-not-found"));
            };
            if !group.has(PHONE) {
                return Err(("403", "forbidden"));
            }
            let reply = match tag {
                "query" => vec![group_node(&group_id, group)],
                "add" | "remove" | "promote" | "demote" => {
                    let results = op
                        .get_children_by_tag("participant")
                        .filter_map(|p| attr(p, "jid"))
                        .map(|jid| {
                            let phone = phone_in(&jid).unwrap_or_default();
                            let error = group.change(tag, &phone);
                            let mut out = NodeBuilder::new("participant").attr("jid", jid);
                            if let Some(code) = error {
                                out = out.attr("error", code);
                            }
                            out.build()
                        })
                        .collect::<Vec<_>>();
                    vec![NodeBuilder::new_dynamic(tag.to_string())
                        .children(results)
                        .build()]
                }
                "subject" => {
                    group.subject = text_of(op);
                    Vec::new()
                }
                "description" => {
                    group.description = if attr(op, "delete").as_deref() == Some("true") {
                        None
                    } else {
                        let body = op.get_optional_child("body").map(text_of);
                        Some((attr(op, "id").unwrap_or_default(), body.unwrap_or_default()))
                    };
                    Vec::new()
                }
                "announcement" | "not_announcement" => {
                    group.announce = tag == "announcement";
                    Vec::new()
                }
                "locked" | "unlocked" => {
                    group.locked = tag == "locked";
                    Vec::new()
                }
                "ephemeral" | "not_ephemeral" => {
                    group.ephemeral = attr(op, "expiration")
                        .and_then(|e| e.parse().ok())
                        .filter(|e| *e > 0 && tag == "ephemeral");
                    Vec::new()
                }
                "member_add_mode" => {
                    group.admins_add = text_of(op) == "admin_add";
                    Vec::new()
                }
                "invite" => {
                    if kind == "set" {
                        group.invite = invite_code();
                    }
                    vec![NodeBuilder::new("invite")
                        .attr("code", group.invite.clone())
                        .build()]
                }
                _ => return Err(("400", "bad-request")),
            };
            Ok(reply)
        }
    }
}

fn invite_code() -> String {
    format!(
        "STANDIN{:012X}",
        rand010::random::<u64>() & 0xffff_ffff_ffff
    )
}

impl Group {
    fn has(&self, phone: &str) -> bool {
        self.participants.iter().any(|(p, _)| p == phone)
    }

    /// One participant change, as WhatsApp answers it: `None` for done, else the error code.
    fn change(&mut self, action: &str, phone: &str) -> Option<&'static str> {
        let at = self.participants.iter().position(|(p, _)| p == phone);
        match (action, at) {
            ("add", Some(_)) => Some("409"),
            ("add", None) if !on_whatsapp(phone) => Some("404"),
            ("add", None) => {
                self.participants.push((phone.to_string(), "member"));
                None
            }
            (_, None) => Some("404"),
            ("remove", Some(i)) => {
                self.participants.remove(i);
                None
            }
            ("promote", Some(i)) => {
                self.participants[i].1 = "admin";
                None
            }
            (_, Some(i)) => {
                self.participants[i].1 = "member";
                None
            }
        }
    }
}

fn group_node(id: &str, g: &Group) -> Node {
    let creator = g
        .participants
        .iter()
        .find(|(_, role)| *role == "superadmin")
        .map_or_else(|| pn(PHONE), |(p, _)| pn(p));
    let mut children: Vec<Node> = g
        .participants
        .iter()
        .map(|(phone, role)| {
            let p = NodeBuilder::new("participant").attr("jid", pn(phone));
            match *role {
                "member" => p.build(),
                role => p.attr("type", role).build(),
            }
        })
        .collect();
    if let Some((desc_id, body)) = &g.description {
        children.push(
            NodeBuilder::new("description")
                .attr("id", desc_id.clone())
                .children([NodeBuilder::new("body")
                    .string_content(body.as_str())
                    .build()])
                .build(),
        );
    }
    if g.announce {
        children.push(NodeBuilder::new("announcement").build());
    }
    if g.locked {
        children.push(NodeBuilder::new("locked").build());
    }
    if let Some(seconds) = g.ephemeral {
        children.push(
            NodeBuilder::new("ephemeral")
                .attr("expiration", seconds.to_string())
                .build(),
        );
    }
    let mode = if g.admins_add {
        "admin_add"
    } else {
        "all_member_add"
    };
    children.push(
        NodeBuilder::new("member_add_mode")
            .string_content(mode)
            .build(),
    );
    NodeBuilder::new("group")
        .attr("id", id.to_string())
        .attr("subject", g.subject.clone())
        .attr("creation", g.creation.to_string())
        .attr("creator", creator.clone())
        .attr("s_t", g.creation.to_string())
        .attr("s_o", creator)
        .attr("size", g.participants.len().to_string())
        .children(children)
        .build()
}

/// A `<message>` from the device: each contact it was encrypted for reads it (a group's members
/// with the sender key the device handed them), the stand-in keeps what they read, and acks it.
async fn message(shared: &Shared, peer: &Peer, node: &NodeRef<'_>) -> anyhow::Result<Vec<Node>> {
    let to = attr(node, "to").unwrap_or_default();
    let id = attr(node, "id").unwrap_or_default();
    let mut sent = Sent {
        to: to.clone(),
        id: id.clone(),
        kind: attr(node, "type").unwrap_or_default(),
        message: None,
        readers: Vec::new(),
        problems: Vec::new(),
    };
    let pairwise = node
        .get_optional_child("participants")
        .map(|p| p.get_children_by_tag("to").collect::<Vec<_>>())
        .unwrap_or_default();
    let mut contacts = shared.contacts.lock().await;
    for recipient in pairwise {
        let Some(phone) = attr(recipient, "jid").as_deref().and_then(phone_in) else {
            continue;
        };
        let Some(enc) = recipient.get_optional_child("enc") else {
            continue;
        };
        let Some(contact) = super::contact(&mut contacts, &phone) else {
            continue;
        };
        let kind = attr(enc, "type").unwrap_or_default();
        match contact
            .decrypt(
                &peer.address,
                &kind,
                enc.content_bytes().unwrap_or_default(),
            )
            .await
        {
            Ok(m) if !to.ends_with("@g.us") => {
                sent.message.get_or_insert(m);
                sent.readers.push(phone);
            }
            Ok(_) => {}
            Err(e) => sent
                .problems
                .push(format!("{phone} could not read it: {e:#}")),
        }
    }
    if let Some(group) = to.strip_suffix("@g.us") {
        let members = shared
            .lock()
            .groups
            .get(group)
            .map(|g| g.participants.clone())
            .unwrap_or_default();
        let skmsg = node
            .get_children_by_tag("enc")
            .find(|e| attr(e, "type").as_deref() == Some("skmsg"))
            .and_then(|e| e.content_bytes())
            .unwrap_or_default();
        for (phone, _) in members.iter().filter(|(p, _)| p != PHONE) {
            let Some(contact) = super::contact(&mut contacts, phone) else {
                continue;
            };
            if !contact.has_sender_key(&to, &peer.address) {
                sent.problems.push(format!("{phone} has no sender key"));
                continue;
            }
            match contact.decrypt_group(&to, &peer.address, skmsg).await {
                Ok(m) => {
                    sent.message.get_or_insert(m);
                    sent.readers.push(phone.clone());
                }
                Err(e) => sent
                    .problems
                    .push(format!("{phone} could not read it: {e:#}")),
            }
        }
    }
    drop(contacts);
    if !sent.problems.is_empty() {
        log::warn!("stand-in: message {id} to {to}: {:?}", sent.problems);
    }
    shared.act(|state| state.sent.push(sent));
    Ok(vec![NodeBuilder::new("ack")
        .attr("class", "message")
        .attr("id", id)
        .attr("from", to)
        .attr("t", now_secs().to_string())
        .build()])
}

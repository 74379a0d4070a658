//! The simulated phone's address book, groups and blocklist: plain state with WhatsApp's rules
//! (admins only, per-participant answers, invite codes), kept apart from the phone actor so the
//! rules are unit-tested.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::Rng;

use crate::engine::contract::SandboxContact;
use crate::engine::social::{
    ContactName, GroupChange, GroupChangeKind, GroupEdit, GroupInfo, JoinRequest, NumberCheck,
    Participant, ParticipantAction, ParticipantResult, Role, SocialError,
};
use crate::time;

#[derive(Default)]
pub struct People {
    /// This account's id (`<digits>@c.us`), once linked.
    pub own: String,
    contacts: BTreeMap<String, SandboxContact>,
    blocked: BTreeSet<String>,
    groups: BTreeMap<String, GroupInfo>,
    invites: HashMap<String, String>,
    /// Groups this account is not in, by the invite code that leads to each.
    foreign: HashMap<String, GroupInfo>,
    /// Group pictures' URLs, by group.
    group_pictures: HashMap<String, String>,
    /// Who waits for an admin to let them in, by group.
    join_requests: HashMap<String, Vec<JoinRequest>>,
}

fn digits_of(chat_id: &str) -> &str {
    chat_id.split('@').next().unwrap_or_default()
}

fn not_in_group(group_id: &str) -> SocialError {
    SocialError::NotFound(format!("Group {group_id} not found"))
}

fn new_invite_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..22)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

impl People {
    /// Adds or updates address-book entries; answers the stored entries.
    pub fn sync(&mut self, contacts: Vec<SandboxContact>) -> Vec<SandboxContact> {
        for c in &contacts {
            self.contacts.insert(c.id.clone(), c.clone());
        }
        contacts
    }

    /// A number exists unless the address book says it has no WhatsApp account, so sends to any
    /// number work in the sandbox as they do without checks.
    fn registered(&self, chat_id: &str) -> bool {
        self.contacts.get(chat_id).is_none_or(|c| c.on_whatsapp)
    }

    pub fn check(&self, numbers: Vec<String>) -> Vec<NumberCheck> {
        numbers
            .into_iter()
            .map(|number| {
                let id = format!("{number}@c.us");
                NumberCheck {
                    exists: self.registered(&id),
                    lid: self.contacts.get(&id).and_then(|c| c.lid.clone()),
                    number,
                }
            })
            .collect()
    }

    pub fn picture(&self, chat_id: &str) -> Option<String> {
        self.contacts.get(chat_id).and_then(|c| c.picture.clone())
    }

    /// Saves a person to the address book under `name` (a number not known yet, too).
    pub fn save_contact(&mut self, id: &str, name: &ContactName) {
        let contact = self
            .contacts
            .entry(id.to_string())
            .or_insert_with(|| SandboxContact {
                id: id.to_string(),
                name: None,
                push_name: None,
                on_whatsapp: true,
                lid: None,
                picture: None,
            });
        contact.name = Some(name.full());
    }

    /// Takes a person out of the address book; [`SocialError::NotFound`] when it has no entry.
    pub fn remove_contact(&mut self, id: &str) -> Result<(), SocialError> {
        match self.contacts.get_mut(id) {
            Some(c) if c.name.is_some() => {
                c.name = None;
                Ok(())
            }
            _ => Err(SocialError::NotFound(format!(
                "Contact {id} is not in the address book"
            ))),
        }
    }

    pub fn group_picture(&self, group_id: &str) -> Result<Option<String>, SocialError> {
        self.group(group_id)?;
        Ok(self.group_pictures.get(group_id).cloned())
    }

    /// Sets or removes a group's picture: admins only once the group's info is locked, as for
    /// its subject.
    pub fn set_group_picture(
        &mut self,
        group_id: &str,
        picture: Option<String>,
    ) -> Result<(), SocialError> {
        if self.group(group_id)?.locked {
            self.administered(group_id)?;
        }
        match picture {
            Some(url) => self.group_pictures.insert(group_id.to_string(), url),
            None => self.group_pictures.remove(group_id),
        };
        Ok(())
    }

    /// The group's waiting join requests, which only its admins may see.
    pub fn join_requests(&mut self, group_id: &str) -> Result<Vec<JoinRequest>, SocialError> {
        self.administered(group_id)?;
        Ok(self
            .join_requests
            .get(group_id)
            .cloned()
            .unwrap_or_default())
    }

    /// Approves or rejects waiting people (`None`: everyone waiting): each named one gets its own
    /// answer (`404` when not waiting); the approved join the group.
    pub fn answer_join_requests(
        &mut self,
        group_id: &str,
        named: Option<Vec<String>>,
        approve: bool,
    ) -> Result<(Vec<ParticipantResult>, Vec<GroupChange>), SocialError> {
        let own = self.own.clone();
        self.administered(group_id)?;
        let waiting = self.join_requests.entry(group_id.to_string()).or_default();
        let ids = named.unwrap_or_else(|| waiting.iter().map(|r| r.id.clone()).collect());
        let mut results = Vec::with_capacity(ids.len());
        let mut admitted = Vec::new();
        for id in ids {
            let found = waiting.iter().position(|r| r.id == id);
            if let Some(at) = found {
                waiting.remove(at);
                if approve {
                    admitted.push(id.clone());
                }
            }
            results.push(ParticipantResult {
                id,
                success: found.is_some(),
                status: if found.is_some() { 200 } else { 404 },
            });
        }
        if admitted.is_empty() {
            return Ok((results, Vec::new()));
        }
        if let Some(group) = self.groups.get_mut(group_id) {
            for id in &admitted {
                group.participants.push(Participant {
                    id: id.clone(),
                    role: Role::Member,
                });
            }
        }
        let change = self.change(group_id, Some(own), GroupChangeKind::Join(admitted));
        Ok((results, vec![change]))
    }

    pub fn phone_of(&self, chat_id: &str) -> Option<String> {
        if chat_id.ends_with("@c.us") {
            return Some(digits_of(chat_id).to_string());
        }
        self.contacts
            .values()
            .find(|c| c.lid.as_deref() == Some(chat_id))
            .map(|c| digits_of(&c.id).to_string())
    }

    pub fn set_blocked(&mut self, chat_id: &str, blocked: bool) {
        if blocked {
            self.blocked.insert(chat_id.to_string());
        } else {
            self.blocked.remove(chat_id);
        }
    }

    pub fn groups(&self) -> Vec<GroupInfo> {
        self.groups.values().cloned().collect()
    }

    pub fn group(&self, group_id: &str) -> Result<GroupInfo, SocialError> {
        self.groups
            .get(group_id)
            .cloned()
            .ok_or_else(|| not_in_group(group_id))
    }

    /// This account's group `group_id`, which it must administer.
    fn administered(&mut self, group_id: &str) -> Result<&mut GroupInfo, SocialError> {
        let own = self.own.clone();
        let group = self
            .groups
            .get_mut(group_id)
            .ok_or_else(|| not_in_group(group_id))?;
        match group.participants.iter().find(|p| p.id == own) {
            Some(p) if p.role.is_admin() => Ok(group),
            _ => Err(SocialError::Refused(format!(
                "This account is not an admin of group {group_id}"
            ))),
        }
    }

    /// A new group this account owns, with the participants that have WhatsApp.
    pub fn create(
        &mut self,
        subject: &str,
        participants: Vec<String>,
    ) -> (GroupInfo, Vec<GroupChange>) {
        let id = format!(
            "120363{:012}@g.us",
            rand::thread_rng().gen_range(0..1_000_000_000_000u64)
        );
        let mut members = vec![Participant {
            id: self.own.clone(),
            role: Role::Superadmin,
        }];
        for p in participants {
            if self.registered(&p) && !members.iter().any(|m| m.id == p) {
                members.push(Participant {
                    id: p,
                    role: Role::Member,
                });
            }
        }
        let group = GroupInfo {
            id: id.clone(),
            subject: subject.to_string(),
            description: None,
            owner: Some(self.own.clone()),
            created_at: Some(time::now_secs()),
            announce: false,
            locked: false,
            ephemeral: None,
            admins_add: false,
            parent: None,
            participants: members,
        };
        self.groups.insert(id.clone(), group.clone());
        let joined = group.participants.iter().map(|p| p.id.clone()).collect();
        let change = self.change(&id, Some(self.own.clone()), GroupChangeKind::Join(joined));
        (group, vec![change])
    }

    /// Someone else adds this account to a group of theirs.
    pub fn added_to(
        &mut self,
        subject: &str,
        by: &str,
        participants: Vec<String>,
        admins: Vec<String>,
    ) -> (GroupInfo, GroupChange) {
        let (mut group, _) = self.create(subject, participants);
        group.owner = Some(by.to_string());
        group.participants.retain(|p| p.id != by);
        for p in group.participants.iter_mut() {
            p.role = if admins.contains(&p.id) {
                Role::Admin
            } else {
                Role::Member
            };
        }
        group.participants.insert(
            0,
            Participant {
                id: by.to_string(),
                role: Role::Superadmin,
            },
        );
        self.groups.insert(group.id.clone(), group.clone());
        let change = self.change(
            &group.id,
            Some(by.to_string()),
            GroupChangeKind::Join(vec![self.own.clone()]),
        );
        (group, change)
    }

    fn change(&self, group_id: &str, actor: Option<String>, kind: GroupChangeKind) -> GroupChange {
        GroupChange {
            group_id: group_id.to_string(),
            actor,
            kind,
            timestamp: time::now_secs(),
        }
    }

    /// Applies participant changes as WhatsApp does: each participant gets its own answer.
    pub fn participants(
        &mut self,
        group_id: &str,
        action: ParticipantAction,
        ids: Vec<String>,
    ) -> Result<(Vec<ParticipantResult>, Vec<GroupChange>), SocialError> {
        let registered: Vec<bool> = ids.iter().map(|id| self.registered(id)).collect();
        let own = self.own.clone();
        let group = self.administered(group_id)?;
        let mut results = Vec::with_capacity(ids.len());
        let mut done = Vec::new();
        for (id, registered) in ids.into_iter().zip(registered) {
            let at = group.participants.iter().position(|p| p.id == id);
            let status = match (action, at) {
                (ParticipantAction::Add, Some(_)) => 409,
                (ParticipantAction::Add, None) if !registered => 404,
                (ParticipantAction::Add, None) => {
                    group.participants.push(Participant {
                        id: id.clone(),
                        role: Role::Member,
                    });
                    200
                }
                (_, None) => 404,
                (_, Some(i)) if group.participants[i].role == Role::Superadmin => 406,
                (ParticipantAction::Remove, Some(i)) => {
                    group.participants.remove(i);
                    200
                }
                (ParticipantAction::Promote, Some(i)) => {
                    group.participants[i].role = Role::Admin;
                    200
                }
                (ParticipantAction::Demote, Some(i)) => {
                    group.participants[i].role = Role::Member;
                    200
                }
            };
            if status == 200 {
                done.push(id.clone());
            }
            results.push(ParticipantResult {
                id,
                success: status == 200,
                status,
            });
        }
        let mut changes = Vec::new();
        if !done.is_empty() {
            let kind = match action {
                ParticipantAction::Add => GroupChangeKind::Join(done),
                ParticipantAction::Remove => GroupChangeKind::Leave(done),
                ParticipantAction::Promote => GroupChangeKind::Promote(done),
                ParticipantAction::Demote => GroupChangeKind::Demote(done),
            };
            changes.push(self.change(group_id, Some(own), kind));
        }
        Ok((results, changes))
    }

    pub fn edit(&mut self, group_id: &str, edit: GroupEdit) -> Result<GroupChange, SocialError> {
        let own = self.own.clone();
        let info_edit = matches!(edit, GroupEdit::Subject(_) | GroupEdit::Description(_));
        // Settings are for admins; the info too once the group is locked.
        let group = match self.groups.get(group_id) {
            Some(g) if g.locked || !info_edit => self.administered(group_id)?,
            Some(_) => self
                .groups
                .get_mut(group_id)
                .ok_or_else(|| not_in_group(group_id))?,
            None => return Err(not_in_group(group_id)),
        };
        let kind = match edit {
            GroupEdit::Subject(s) => {
                group.subject = s.clone();
                GroupChangeKind::Subject(s)
            }
            GroupEdit::Description(d) => {
                group.description = d.clone();
                GroupChangeKind::Description(d)
            }
            GroupEdit::Announce(on) => {
                group.announce = on;
                GroupChangeKind::Announce(on)
            }
            GroupEdit::Locked(on) => {
                group.locked = on;
                GroupChangeKind::Locked(on)
            }
            GroupEdit::Ephemeral(seconds) => {
                group.ephemeral = (seconds > 0).then_some(seconds);
                GroupChangeKind::Ephemeral(seconds)
            }
            GroupEdit::AdminsAdd(on) => {
                group.admins_add = on;
                GroupChangeKind::AdminsAdd(on)
            }
        };
        Ok(self.change(group_id, Some(own), kind))
    }

    pub fn invite_code(&mut self, group_id: &str, reset: bool) -> Result<String, SocialError> {
        self.administered(group_id)?;
        if reset {
            self.invites.remove(group_id);
        }
        Ok(self
            .invites
            .entry(group_id.to_string())
            .or_insert_with(new_invite_code)
            .clone())
    }

    /// Someone (`by`) has a group this account is not in, and an invite code to it.
    pub fn invite_to(
        &mut self,
        subject: &str,
        by: &str,
        participants: Vec<String>,
        admins: Vec<String>,
    ) -> (GroupInfo, String) {
        let (mut group, _) = self.added_to(subject, by, participants, admins);
        self.groups.remove(&group.id);
        group.participants.retain(|p| p.id != self.own);
        let code = new_invite_code();
        self.foreign.insert(code.clone(), group.clone());
        (group, code)
    }

    fn invalid_invite() -> SocialError {
        SocialError::NotFound("This invite link is invalid or has expired".into())
    }

    /// The group an invite code leads to: one of someone else's, or one of this account's.
    pub fn invite_info(&self, code: &str) -> Result<GroupInfo, SocialError> {
        if let Some(g) = self.foreign.get(code) {
            return Ok(g.clone());
        }
        self.invites
            .iter()
            .find(|(_, c)| c.as_str() == code)
            .and_then(|(id, _)| self.groups.get(id))
            .cloned()
            .ok_or_else(Self::invalid_invite)
    }

    /// Joins the group of an invite code, as a member; a group this account is in already is
    /// answered as joined, with no change.
    pub fn join(&mut self, code: &str) -> Result<(String, Option<GroupChange>), SocialError> {
        if let Some((id, _)) = self.invites.iter().find(|(_, c)| c.as_str() == code) {
            return Ok((id.clone(), None));
        }
        let mut group = self.foreign.remove(code).ok_or_else(Self::invalid_invite)?;
        group.participants.push(Participant {
            id: self.own.clone(),
            role: Role::Member,
        });
        let id = group.id.clone();
        self.groups.insert(id.clone(), group);
        // The code stays valid: using it again finds this account already in.
        self.invites.insert(id.clone(), code.to_string());
        let change = self.change(&id, None, GroupChangeKind::Join(vec![self.own.clone()]));
        Ok((id, Some(change)))
    }

    pub fn leave(&mut self, group_id: &str) -> Result<GroupChange, SocialError> {
        self.groups
            .remove(group_id)
            .ok_or_else(|| not_in_group(group_id))?;
        let own = self.own.clone();
        Ok(self.change(
            group_id,
            Some(own.clone()),
            GroupChangeKind::Leave(vec![own]),
        ))
    }

    /// Applies what someone else did in a group (a sandbox route plays them).
    pub fn observe(&mut self, change: &GroupChange) -> Result<(), SocialError> {
        let own = self.own.clone();
        let group = self
            .groups
            .get_mut(&change.group_id)
            .ok_or_else(|| not_in_group(&change.group_id))?;
        match &change.kind {
            GroupChangeKind::Join(ids) => {
                for id in ids {
                    if !group.participants.iter().any(|p| &p.id == id) {
                        group.participants.push(Participant {
                            id: id.clone(),
                            role: Role::Member,
                        });
                    }
                }
            }
            GroupChangeKind::Leave(ids) => {
                group.participants.retain(|p| !ids.contains(&p.id));
                if ids.contains(&own) {
                    self.groups.remove(&change.group_id);
                }
            }
            GroupChangeKind::Promote(ids) | GroupChangeKind::Demote(ids) => {
                let role = if matches!(change.kind, GroupChangeKind::Promote(_)) {
                    Role::Admin
                } else {
                    Role::Member
                };
                for p in group
                    .participants
                    .iter_mut()
                    .filter(|p| ids.contains(&p.id))
                {
                    if p.role != Role::Superadmin {
                        p.role = role;
                    }
                }
            }
            GroupChangeKind::Subject(s) => group.subject = s.clone(),
            GroupChangeKind::Description(d) => group.description = d.clone(),
            GroupChangeKind::Announce(on) => group.announce = *on,
            GroupChangeKind::Locked(on) => group.locked = *on,
            GroupChangeKind::Ephemeral(seconds) => {
                group.ephemeral = (*seconds > 0).then_some(*seconds);
            }
            GroupChangeKind::AdminsAdd(on) => group.admins_add = *on,
            GroupChangeKind::JoinRequest(ids) => {
                let waiting = self
                    .join_requests
                    .entry(change.group_id.clone())
                    .or_default();
                for id in ids {
                    let member = group.participants.iter().any(|p| &p.id == id);
                    if !member && !waiting.iter().any(|r| &r.id == id) {
                        waiting.push(JoinRequest {
                            id: id.clone(),
                            requested_at: Some(change.timestamp),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> People {
        let mut p = People {
            own: "628000000001@c.us".into(),
            ..Default::default()
        };
        p.sync(vec![SandboxContact {
            id: "628999@c.us".into(),
            name: None,
            push_name: None,
            on_whatsapp: false,
            lid: None,
            picture: None,
        }]);
        p
    }

    #[test]
    fn a_group_starts_with_its_creator_as_superadmin_and_skips_numbers_without_whatsapp() {
        let mut p = people();
        let (g, changes) = p.create("Team", vec!["628111@c.us".into(), "628999@c.us".into()]);
        assert!(g.id.ends_with("@g.us"));
        assert_eq!(g.participants.len(), 2);
        assert_eq!(g.participants[0].role, Role::Superadmin);
        assert!(matches!(&changes[0].kind, GroupChangeKind::Join(ids) if ids.len() == 2));
    }

    #[test]
    fn participant_changes_answer_per_participant() {
        let mut p = people();
        let (g, _) = p.create("Team", vec!["628111@c.us".into()]);
        let (results, changes) = p
            .participants(
                &g.id,
                ParticipantAction::Add,
                vec![
                    "628111@c.us".into(),
                    "628222@c.us".into(),
                    "628999@c.us".into(),
                ],
            )
            .unwrap();
        let codes: Vec<u16> = results.iter().map(|r| r.status).collect();
        assert_eq!(codes, [409, 200, 404]);
        assert_eq!(changes.len(), 1);
        let (results, _) = p
            .participants(&g.id, ParticipantAction::Demote, vec![p.own.clone()])
            .unwrap();
        assert_eq!(results[0].status, 406, "the creator cannot be demoted");
    }

    #[test]
    fn only_admins_change_participants_or_read_the_invite_code() {
        let mut p = people();
        let (g, _) = p.added_to("Theirs", "628333@c.us", vec![], vec![]);
        assert!(matches!(
            p.participants(&g.id, ParticipantAction::Add, vec!["628111@c.us".into()]),
            Err(SocialError::Refused(_))
        ));
        assert!(matches!(
            p.invite_code(&g.id, false),
            Err(SocialError::Refused(_))
        ));
        assert!(matches!(
            p.group("1203@g.us"),
            Err(SocialError::NotFound(_))
        ));
    }

    #[test]
    fn revoking_an_invite_code_issues_a_new_one() {
        let mut p = people();
        let (g, _) = p.create("Team", vec![]);
        let first = p.invite_code(&g.id, false).unwrap();
        assert_eq!(p.invite_code(&g.id, false).unwrap(), first);
        assert_ne!(p.invite_code(&g.id, true).unwrap(), first);
    }
}

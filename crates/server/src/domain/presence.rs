//! Presence: who is in a meeting, from the presses of a local broker's Join and Leave buttons
//! ([`Room`]), and what each press means for the meeting ([`Happening`]): a guest waiting (in
//! with no host), the first host in, the last person out.
//!
//! A person is a link (its token's id): a second Join of someone already in, or a Leave of
//! someone not in, changes nothing.

use std::collections::BTreeMap;

pub use instant_connect::Movement;

use instant_connect::Role;

/// What a press made of the meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happening {
    /// Guests are in and no host is: one came in, or the last host left them.
    GuestWaiting { guests: usize },
    /// The first host came in, to `guests` guests.
    HostJoined { guests: usize },
    /// The last person left.
    Ended,
}

/// Who is in a meeting now, by link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Room {
    inside: BTreeMap<String, Role>,
}

impl Room {
    /// The room of the people `inside`, as kept.
    pub fn of(inside: impl IntoIterator<Item = (String, Role)>) -> Self {
        Self {
            inside: inside.into_iter().collect(),
        }
    }

    /// Who is in, by link, to be kept.
    pub fn inside(&self) -> impl Iterator<Item = (&str, Role)> {
        self.inside
            .iter()
            .map(|(person, role)| (person.as_str(), *role))
    }

    pub fn hosts(&self) -> usize {
        self.inside.values().filter(|r| **r == Role::Host).count()
    }

    pub fn guests(&self) -> usize {
        self.inside.len() - self.hosts()
    }

    /// Whether guests are in with no host.
    pub fn guest_waiting(&self) -> bool {
        self.guests() > 0 && self.hosts() == 0
    }

    /// The room after `person` (a link of `role`) pressed Join or Leave, and what that made of
    /// the meeting.
    pub fn press(&mut self, person: &str, role: Role, movement: Movement) -> Option<Happening> {
        match movement {
            Movement::Joined => {
                if self.inside.insert(person.to_owned(), role).is_some() {
                    return None;
                }
                let guests = self.guests();
                match role {
                    Role::Guest if self.hosts() == 0 => Some(Happening::GuestWaiting { guests }),
                    Role::Host if self.hosts() == 1 => Some(Happening::HostJoined { guests }),
                    _ => None,
                }
            }
            Movement::Left => {
                let role = self.inside.remove(person)?;
                if self.inside.is_empty() {
                    Some(Happening::Ended)
                } else if role == Role::Host && self.guest_waiting() {
                    Some(Happening::GuestWaiting {
                        guests: self.guests(),
                    })
                } else {
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Movement::{Joined, Left};

    #[test]
    fn a_guest_before_any_host_waits_until_the_first_host_joins() {
        let mut room = Room::default();
        assert_eq!(
            room.press("g1", Role::Guest, Joined),
            Some(Happening::GuestWaiting { guests: 1 })
        );
        assert_eq!(
            room.press("g2", Role::Guest, Joined),
            Some(Happening::GuestWaiting { guests: 2 }),
            "each guest who comes to no host waits"
        );
        assert!(room.guest_waiting());
        assert_eq!(
            room.press("h1", Role::Host, Joined),
            Some(Happening::HostJoined { guests: 2 })
        );
        assert!(!room.guest_waiting());
        assert_eq!(room.press("h2", Role::Host, Joined), None, "not the first");
        assert_eq!(room.press("g3", Role::Guest, Joined), None, "a host is in");
        assert_eq!((room.hosts(), room.guests()), (2, 3));
    }

    #[test]
    fn guests_left_by_the_last_host_wait_again_and_the_last_one_out_ends_it() {
        let mut room = Room::default();
        room.press("h1", Role::Host, Joined);
        room.press("h2", Role::Host, Joined);
        room.press("g1", Role::Guest, Joined);
        assert_eq!(
            room.press("h1", Role::Host, Left),
            None,
            "a host is still in"
        );
        assert_eq!(
            room.press("h2", Role::Host, Left),
            Some(Happening::GuestWaiting { guests: 1 })
        );
        assert_eq!(room.press("g1", Role::Guest, Left), Some(Happening::Ended));
        assert_eq!(room, Room::default());
        assert!(!room.guest_waiting(), "nobody in: nobody waits");
    }

    #[test]
    fn a_second_join_or_a_leave_of_someone_not_in_changes_nothing() {
        let mut room = Room::default();
        assert_eq!(room.press("g1", Role::Guest, Left), None);
        assert_eq!(room, Room::default());
        room.press("h1", Role::Host, Joined);
        let before = room.clone();
        assert_eq!(room.press("h1", Role::Host, Joined), None);
        assert_eq!(room, before);
        // A host's leave with no guest in: the room is empty, the meeting ended.
        assert_eq!(room.press("h1", Role::Host, Left), Some(Happening::Ended));
    }

    #[test]
    fn a_room_kept_and_read_back_is_the_same_room() {
        let mut room = Room::default();
        room.press("h1", Role::Host, Joined);
        room.press("g1", Role::Guest, Joined);
        let kept: Vec<(String, Role)> = room.inside().map(|(p, r)| (p.to_owned(), r)).collect();
        assert_eq!(Room::of(kept), room);
    }
}

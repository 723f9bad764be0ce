//! Respondent ids kept in one buffer each, not one allocation per row: a national batch has a
//! million of them, and allocating and freeing them cost more than checking them.

use std::hash::BuildHasher;

/// The ids met in a part of a file, in file order, with their lines.
#[derive(Default)]
pub struct IdList {
    text: String,
    /// (end of the id in `text`, line, index among the part's accepted rows).
    entries: Vec<(usize, u64, Option<usize>)>,
}

impl IdList {
    pub fn with_capacity(rows: usize) -> IdList {
        IdList {
            text: String::with_capacity(rows * 8),
            entries: Vec::with_capacity(rows),
        }
    }

    pub fn push(&mut self, id: &str, line: u64, accepted: Option<usize>) {
        self.text.push_str(id);
        self.entries.push((self.text.len(), line, accepted));
    }

    /// (id, line, index among the accepted rows), in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64, Option<usize>)> {
        let mut start = 0;
        self.entries.iter().map(move |&(end, line, accepted)| {
            let id = &self.text[start..end];
            start = end;
            (id, line, accepted)
        })
    }
}

/// A set of ids with the line each was first seen on.
pub struct SeenIds {
    text: String,
    /// (end of the id in `text`, line, next entry with the same hash or `NONE`).
    entries: Vec<(usize, u64, u32)>,
    /// First entry for each hash of an id (a collision only lengthens the chain).
    first: foldhash::HashMap<u64, u32>,
    hasher: foldhash::fast::FixedState,
}

const NONE: u32 = u32::MAX;

impl SeenIds {
    pub fn with_capacity(ids: usize) -> SeenIds {
        SeenIds {
            text: String::with_capacity(ids * 8),
            entries: Vec::with_capacity(ids),
            first: foldhash::HashMap::with_capacity_and_hasher(ids, Default::default()),
            hasher: foldhash::fast::FixedState::with_seed(0x0063_6869_736f),
        }
    }

    /// Entry `k`'s id (entries hold where each id ends in `text`).
    fn id<'t>(entries: &[(usize, u64, u32)], text: &'t str, k: u32) -> &'t str {
        let k = k as usize;
        let start = if k == 0 { 0 } else { entries[k - 1].0 };
        &text[start..entries[k].0]
    }

    /// The line `id` was first seen on, or `None` after noting it on `line`.
    pub fn check_and_insert(&mut self, id: &str, line: u64) -> Option<u64> {
        use std::collections::hash_map::Entry;
        // More than 4 billion ids is not a survey batch; the chain then simply stops.
        let k = u32::try_from(self.entries.len()).unwrap_or(NONE);
        let head = match self.first.entry(self.hasher.hash_one(id)) {
            Entry::Vacant(e) => {
                e.insert(k);
                NONE
            }
            Entry::Occupied(mut e) => {
                let mut at = *e.get();
                while at != NONE {
                    let (_, first, next) = self.entries[at as usize];
                    if SeenIds::id(&self.entries, &self.text, at) == id {
                        return Some(first);
                    }
                    at = next;
                }
                e.insert(k)
            }
        };
        self.text.push_str(id);
        self.entries.push((self.text.len(), line, head));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_back_in_order_with_their_lines() {
        let mut l = IdList::with_capacity(2);
        l.push("R1", 2, Some(0));
        l.push("", 3, None);
        l.push("Hà-7", 4, Some(1));
        let got: Vec<_> = l.iter().collect();
        assert_eq!(
            got,
            vec![("R1", 2, Some(0)), ("", 3, None), ("Hà-7", 4, Some(1))]
        );
    }

    #[test]
    fn a_repeated_id_gives_the_first_line() {
        let mut s = SeenIds::with_capacity(1);
        assert_eq!(s.check_and_insert("A", 2), None);
        assert_eq!(s.check_and_insert("B", 3), None);
        assert_eq!(s.check_and_insert("A", 9), Some(2));
        assert_eq!(s.check_and_insert("B", 10), Some(3));
        assert_eq!(s.check_and_insert("AB", 11), None);
    }

    #[test]
    fn ids_sharing_a_hash_are_told_apart() {
        // Force every id into one chain, as a hash collision would.
        let mut s = SeenIds::with_capacity(4);
        for (k, id) in ["x", "y", "z"].iter().enumerate() {
            s.text.push_str(id);
            let head = if k == 0 { NONE } else { k as u32 - 1 };
            s.entries.push((s.text.len(), k as u64 + 2, head));
        }
        let h = s.hasher.hash_one("w");
        s.first.insert(h, 2);
        // "w" hashes to the chain z → y → x but matches none of them.
        assert_eq!(s.check_and_insert("w", 7), None);
        assert_eq!(s.check_and_insert("w", 8), Some(7));
        assert_eq!(SeenIds::id(&s.entries, &s.text, 1), "y");
    }
}

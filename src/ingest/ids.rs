//! Respondent ids kept in one buffer each, not one allocation per row: a national batch has a
//! million of them, and allocating and freeing them cost more than checking them.

use std::hash::BuildHasher as _;

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

/// A set of ids with the line each was first seen on: the ids one after another in one
/// buffer, where each ends and its line, and an open-addressing table of 8-byte slots (a
/// 32-bit tag of the id's hash and the id's index) — about 30 bytes an id besides the id's
/// own bytes.
pub struct SeenIds {
    text: String,
    ends: Vec<u64>,
    lines: Vec<u64>,
    /// 0 = empty; else the hash's top 32 bits above the id's index + 1.
    slots: Vec<u64>,
    hash: fn(&str) -> u64,
}

fn id_hash(id: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x0063_6869_736f).hash_one(id)
}

impl SeenIds {
    pub fn with_capacity(ids: usize) -> SeenIds {
        SeenIds::hashed_by(ids, id_hash)
    }

    fn hashed_by(ids: usize, hash: fn(&str) -> u64) -> SeenIds {
        SeenIds {
            text: String::with_capacity(ids * 8),
            ends: Vec::with_capacity(ids),
            lines: Vec::with_capacity(ids),
            slots: vec![0; Self::table_size(ids)],
            hash,
        }
    }

    /// Slots for `ids` ids, at most three quarters full.
    fn table_size(ids: usize) -> usize {
        (ids.saturating_mul(4) / 3 + 1).next_power_of_two().max(16)
    }

    /// A slot holding entry `k` of an id hashed to `h`, and back.
    fn slot(h: u64, k: usize) -> u64 {
        (h >> 32) << 32 | (k as u64 + 1)
    }

    fn entry(slot: u64) -> usize {
        (slot & 0xffff_ffff) as usize - 1
    }

    /// Entry `k`'s id.
    fn id(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        &self.text[start..self.ends[k] as usize]
    }

    /// Where `h` lands: its slot if `id` is there (Ok), else the empty slot it would take.
    fn find(&self, id: &str, h: u64) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let tag = h >> 32;
        let mut i = (h as usize) & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return Err(i);
            }
            if s >> 32 == tag && self.id(Self::entry(s)) == id {
                return Ok(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The line `id` was first seen on, or `None` after noting it on `line`.
    pub fn check_and_insert(&mut self, id: &str, line: u64) -> Option<u64> {
        let h = (self.hash)(id);
        let slot = match self.find(id, h) {
            Ok(i) => return Some(self.lines[Self::entry(self.slots[i])]),
            Err(i) => i,
        };
        // A slot has 32 bits for the index: past 4 billion ids (not a survey batch), the
        // rest are not checked.
        let k = self.ends.len();
        if k >= u32::MAX as usize {
            return None;
        }
        self.text.push_str(id);
        self.ends.push(self.text.len() as u64);
        self.lines.push(line);
        self.slots[slot] = Self::slot(h, k);
        if self.ends.len() * 4 > self.slots.len() * 3 {
            self.grow();
        }
        None
    }

    /// Twice the slots, every id placed again.
    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let mut slots = vec![0u64; size];
        let mask = size - 1;
        for k in 0..self.ends.len() {
            let h = (self.hash)(self.id(k));
            let mut i = (h as usize) & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = Self::slot(h, k);
        }
        self.slots = slots;
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
        // Every id gets the same hash, as a collision would: one chain of probes.
        let mut s = SeenIds::hashed_by(2, |_| 0xABCD_0000_0000_0007);
        for (k, id) in ["x", "y", "z", "w"].iter().enumerate() {
            assert_eq!(s.check_and_insert(id, k as u64 + 2), None, "{id}");
        }
        assert_eq!(s.check_and_insert("z", 9), Some(4));
        assert_eq!(s.check_and_insert("w", 9), Some(5));
        assert_eq!(s.check_and_insert("x", 9), Some(2));
        assert_eq!(s.check_and_insert("v", 9), None);
        assert_eq!(s.id(1), "y");
    }

    #[test]
    fn the_table_grows_and_keeps_every_id() {
        // Sized for 1 id, given 10,000.
        let mut s = SeenIds::with_capacity(1);
        for i in 0..10_000u64 {
            assert_eq!(s.check_and_insert(&format!("R{i}"), i + 2), None);
        }
        assert!(s.slots.len() >= 10_000 * 4 / 3);
        for i in (0..10_000u64).step_by(7) {
            assert_eq!(s.check_and_insert(&format!("R{i}"), 1), Some(i + 2));
        }
        assert_eq!(s.check_and_insert("R10000", 1), None);
    }
}

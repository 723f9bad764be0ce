//! Which figures of two years correspond: all of them for the same questionnaire; across
//! questionnaire versions, what the newer file's `[continues]` declares — items one by one, an
//! element or the overall index only when every item beneath corresponds, shares and means when
//! their question does.

use std::collections::{BTreeMap, BTreeSet};

use crate::estimate::{Estimate, Level};
use crate::instrument::Instrument;
use crate::methodology::Method;

/// (level, code) of a figure.
pub type Key = (Level, String);

/// A figure (or a unit) left out of the comparison, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Excluded {
    /// Empty when it applies to every unit.
    pub unit_id: String,
    /// Empty for a unit left out whole.
    pub level: String,
    pub code: String,
    pub reason: String,
}

/// One year's scoring, with what it was scored by.
pub struct Side<'a> {
    pub year: i32,
    pub inst: &'a Instrument,
    pub method: &'a Method,
    pub estimates: &'a [Estimate],
}

/// Figures of `to` paired with figures of `from` (by level and code), and what was left out.
#[derive(Debug, Clone, Default)]
pub struct Pairing {
    pub pairs: BTreeMap<Key, Key>,
    pub excluded: Vec<Excluded>,
}

fn keys(s: &Side) -> BTreeSet<Key> {
    s.estimates
        .iter()
        .filter(|e| e.measure != crate::measure::CRONBACH_ALPHA)
        .map(|e| (e.level.clone(), e.code.clone()))
        .collect()
}

fn excluded(level: Level, code: &str, reason: String) -> Excluded {
    Excluded {
        unit_id: String::new(),
        level: level.name().to_string(),
        code: code.to_string(),
        reason,
    }
}

/// Pairs the figures of two years. Err when the questionnaires are different and neither
/// declares that it continues the other.
pub fn correspond(from: &Side, to: &Side) -> Result<Pairing, String> {
    let (kf, kt) = (keys(from), keys(to));
    let mut p = Pairing::default();
    if from.inst.id == to.inst.id {
        for k in kt.union(&kf) {
            match (kt.contains(k), kf.contains(k)) {
                (true, true) => {
                    p.pairs.insert(k.clone(), k.clone());
                }
                (true, false) => p.excluded.push(excluded(
                    k.0.clone(),
                    &k.1,
                    format!("not scored in {} (the methodologies differ)", from.year),
                )),
                _ => p.excluded.push(excluded(
                    k.0.clone(),
                    &k.1,
                    format!("not scored in {} (the methodologies differ)", to.year),
                )),
            }
        }
        return Ok(p);
    }
    // to-code → from-code for items and elements, whichever of the two files declares the
    // correspondence.
    let invert = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter().map(|(a, b)| (b.clone(), a.clone())).collect()
    };
    let (map, elements) = match (&to.inst.continues, &from.inst.continues) {
        (Some(c), _) if c.survey == from.inst.id => (c.items.clone(), c.elements.clone()),
        (_, Some(c)) if c.survey == to.inst.id => (invert(&c.items), invert(&c.elements)),
        _ => {
            return Err(format!(
                "{} ({}) and {} ({}) are different questionnaires and neither declares that it continues the other\n  hint: add a [continues] table to the newer file naming the items that correspond (surveys/README.md)",
                to.inst.id, to.inst.version, from.inst.id, from.inst.version
            ));
        }
    };
    let (vt, vf) = (&to.inst.version, &from.inst.version);
    let scored_from: BTreeSet<&str> = from.inst.scored_items().map(|q| q.code.as_str()).collect();
    let mapped_from: BTreeSet<&str> = map.values().map(String::as_str).collect();
    // Items.
    for q in to.inst.scored_items() {
        match map.get(&q.code) {
            Some(f) if scored_from.contains(f.as_str()) => {
                p.pairs
                    .insert((Level::Item, q.code.clone()), (Level::Item, f.clone()));
            }
            _ => p.excluded.push(excluded(
                Level::Item,
                &q.code,
                format!("new in {vt}: no counterpart in {vf}"),
            )),
        }
    }
    for f in &scored_from {
        if !mapped_from.contains(f) {
            p.excluded.push(excluded(
                Level::Item,
                &format!("{f} ({vf})"),
                format!("asked in {vf} only: no counterpart in {vt}"),
            ));
        }
    }
    // A group of items corresponds when the map is a bijection between them.
    let group = |to_items: Vec<&str>, from_items: Vec<&str>| -> Result<(), String> {
        let image: BTreeSet<&str> = to_items
            .iter()
            .filter_map(|c| map.get(*c).map(String::as_str))
            .collect();
        let unmatched_to: Vec<&str> = to_items
            .iter()
            .copied()
            .filter(|c| {
                map.get(*c)
                    .is_none_or(|f| !from_items.contains(&f.as_str()))
            })
            .collect();
        let unmatched_from: Vec<&str> = from_items
            .iter()
            .copied()
            .filter(|f| !image.contains(f))
            .collect();
        if unmatched_to.is_empty() && unmatched_from.is_empty() {
            return Ok(());
        }
        let mut why = Vec::new();
        if !unmatched_to.is_empty() {
            why.push(format!("{} new in {vt}", unmatched_to.join(", ")));
        }
        if !unmatched_from.is_empty() {
            why.push(format!(
                "{} of {vf} not carried over",
                unmatched_from.join(", ")
            ));
        }
        Err(format!("its items differ: {}", why.join("; ")))
    };
    let items_of = |inst: &Instrument, e: &str| -> Vec<String> {
        inst.scored_items()
            .filter(|q| q.element.as_deref() == Some(e))
            .map(|q| q.code.clone())
            .collect()
    };
    for e in &to.inst.elements {
        let fe = elements.get(&e.code).unwrap_or(&e.code);
        let key = (Level::Element, e.code.clone());
        if !kt.contains(&key) {
            continue;
        }
        if !kf.contains(&(Level::Element, fe.clone())) {
            p.excluded.push(excluded(
                Level::Element,
                &e.code,
                format!("{vf} has no element {fe}"),
            ));
            continue;
        }
        let (ti, fi) = (items_of(to.inst, &e.code), items_of(from.inst, fe));
        match group(
            ti.iter().map(String::as_str).collect(),
            fi.iter().map(String::as_str).collect(),
        ) {
            Ok(()) => {
                p.pairs.insert(key, (Level::Element, fe.clone()));
            }
            Err(why) => p.excluded.push(excluded(Level::Element, &e.code, why)),
        }
    }
    let overall_items = |s: &Side| -> Vec<String> { s.method.items_beneath(s.inst, "overall") };
    // Nodes (e.g. parts) of the same code in both years: their items must correspond.
    for (level, code) in kt.iter().filter(|k| matches!(k.0, Level::Node(_))) {
        let key = (level.clone(), code.clone());
        if !kf.contains(&key) || p.pairs.contains_key(&key) {
            continue;
        }
        let (ti, fi) = (
            to.method.items_beneath(to.inst, code),
            from.method.items_beneath(from.inst, code),
        );
        match group(
            ti.iter().map(String::as_str).collect(),
            fi.iter().map(String::as_str).collect(),
        ) {
            Ok(()) => {
                p.pairs.insert(key.clone(), key);
            }
            Err(why) => p.excluded.push(excluded(level.clone(), code, why)),
        }
    }
    let key = (Level::Overall, "overall".to_string());
    if kt.contains(&key) && kf.contains(&key) {
        let (ti, fi) = (overall_items(to), overall_items(from));
        match group(
            ti.iter().map(String::as_str).collect(),
            fi.iter().map(String::as_str).collect(),
        ) {
            Ok(()) => {
                p.pairs.insert(key.clone(), key);
            }
            Err(why) => p.excluded.push(excluded(Level::Overall, "overall", why)),
        }
    }
    // Shares and means: their question must correspond.
    let question_of = |m: &Method, code: &str| -> Option<String> {
        m.shares
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.question.clone())
            .or_else(|| {
                m.means
                    .iter()
                    .find(|x| x.code == code)
                    .map(|x| x.question.clone())
            })
    };
    for (level, code) in &kt {
        if *level != Level::Overall || code == "overall" {
            continue;
        }
        let (Some(qt), Some(qf)) = (question_of(to.method, code), question_of(from.method, code))
        else {
            continue;
        };
        if map.get(&qt) == Some(&qf) && kf.contains(&(Level::Overall, code.clone())) {
            p.pairs.insert(
                (Level::Overall, code.clone()),
                (Level::Overall, code.clone()),
            );
        } else {
            p.excluded.push(excluded(
                Level::Overall,
                code,
                format!("question {qt} of {vt} does not continue question {qf} of {vf}"),
            ));
        }
    }
    Ok(p)
}

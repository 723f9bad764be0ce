//! The one pass over the answers: per unit × stratum × PSU, the weighted sums (and counts) of
//! every respondent-level quantity the measures need.
//!
//! A lazy polars query reads the stored batches, fills the design defaults (weight 1, one
//! stratum, each respondent its own PSU) and projects the columns needed; one pass in Rust then
//! accumulates every registered sum per PSU. The sums are split into pieces (a pair of
//! questions, an item group, a share), each summed by one thread over the rows in file order,
//! so the result is the same whatever the number of threads.

use std::collections::BTreeMap;

use polars::prelude::*;
use rayon::prelude::*;

use super::calibrate::{Cells, Weighting};
use super::design::{Design, DesignError};
use super::{AlphaSpec, EstimateError, Moments};
use crate::instrument::Question;
use crate::methodology::{ItemMeasure, LonelyPsu};

const W: &str = "__w";
const H: &str = "__h";
const PSU: &str = "__psu";
/// A cleaned answer that is not a valid code of its scale (blank, not applicable, ...).
const NONE: i32 = i32::MIN;

/// A respondent-level quantity; `q` indexes [`Vars::questions`], `g` [`Vars::groups`].
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Valid(usize),
    Satisfied(usize),
    Score(usize),
    ScoreSquared(usize),
    In(usize, Vec<i32>),
    Any(usize),
    PooledY(usize, ItemMeasure),
    PooledYY(usize, ItemMeasure),
    PooledXY(usize, ItemMeasure),
    PooledV(usize),
    PooledVV(usize),
    Comprehensive(usize),
    Complete(usize),
    CompleteX(usize, usize),
    CompleteXX(usize, usize),
    CompleteT(usize),
    CompleteTT(usize),
}

/// A question as the pass reads it: its column and which codes are valid answers.
pub(super) struct QuestionCol {
    pub(super) code: String,
    pub(super) scale: crate::instrument::Scale,
}

/// The registered per-PSU sums; each becomes one column of [`Totals`].
#[derive(Default)]
pub struct Vars {
    pub(super) defs: Vec<(bool, Value)>,
    index: BTreeMap<String, usize>,
    pub(super) questions: Vec<QuestionCol>,
    pub(super) groups: Vec<(String, Vec<usize>)>,
    pub(super) threshold: i32,
}

impl Vars {
    pub fn new(threshold: i32) -> Vars {
        Vars {
            threshold,
            ..Vars::default()
        }
    }

    fn add(&mut self, weighted: bool, v: Value) -> usize {
        let key = format!("{weighted}:{v:?}");
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        self.defs.push((weighted, v));
        self.index.insert(key, self.defs.len() - 1);
        self.defs.len() - 1
    }

    fn question(&mut self, q: &Question) -> usize {
        if let Some(i) = self.questions.iter().position(|c| c.code == q.code) {
            return i;
        }
        self.questions.push(QuestionCol {
            code: q.code.clone(),
            scale: q.scale.clone(),
        });
        self.questions.len() - 1
    }

    fn group(&mut self, name: &str, items: &[&Question]) -> usize {
        if let Some(i) = self.groups.iter().position(|g| g.0 == name) {
            return i;
        }
        let qs = items.iter().map(|q| self.question(q)).collect();
        self.groups.push((name.to_string(), qs));
        self.groups.len() - 1
    }

    pub fn valid(&mut self, q: &Question) -> usize {
        let q = self.question(q);
        self.add(true, Value::Valid(q))
    }

    pub fn valid_n(&mut self, q: &Question) -> usize {
        let q = self.question(q);
        self.add(false, Value::Valid(q))
    }

    pub fn satisfied(&mut self, q: &Question) -> usize {
        let q = self.question(q);
        self.add(true, Value::Satisfied(q))
    }

    pub fn score(&mut self, q: &Question) -> usize {
        let q = self.question(q);
        self.add(true, Value::Score(q))
    }

    pub fn score_squared(&mut self, q: &Question) -> usize {
        let q = self.question(q);
        self.add(true, Value::ScoreSquared(q))
    }

    /// Respondents with at least one valid answer among `items`: (weighted, counted).
    pub fn any_valid(&mut self, group: &str, items: &[&Question]) -> (usize, usize) {
        let g = self.group(group, items);
        (
            self.add(true, Value::Any(g)),
            self.add(false, Value::Any(g)),
        )
    }

    /// The pooled ratio over all valid answers in `items`: (y, x, moments for the deff).
    pub fn pooled(
        &mut self,
        group: &str,
        items: &[&Question],
        m: ItemMeasure,
    ) -> (usize, usize, Moments) {
        let g = self.group(group, items);
        let y = self.add(true, Value::PooledY(g, m));
        let x = self.add(true, Value::PooledV(g));
        let yy = self.add(true, Value::PooledYY(g, m));
        let xy = self.add(true, Value::PooledXY(g, m));
        let xx = self.add(true, Value::PooledVV(g));
        let (dom_w, dom_n) = self.any_valid(group, items);
        (
            y,
            x,
            Moments {
                yy,
                xy,
                xx,
                dom_w,
                dom_n,
            },
        )
    }

    /// Respondents (with a valid answer) whose every valid answer is satisfied:
    /// (weighted comprehensive, weighted any-valid, counted any-valid).
    pub fn comprehensive(&mut self, group: &str, items: &[&Question]) -> (usize, usize, usize) {
        let g = self.group(group, items);
        let c = self.add(true, Value::Comprehensive(g));
        let (w, n) = self.any_valid(group, items);
        (c, w, n)
    }

    /// Counts for Cronbach's α over respondents who answered every item of the element.
    pub fn alpha(&mut self, group: &str, items: &[&Question]) -> AlphaSpec {
        let g = self.group(group, items);
        let complete = self.add(false, Value::Complete(g));
        let qs = self.groups[g].1.clone();
        let items = qs
            .iter()
            .map(|&q| {
                (
                    self.add(false, Value::CompleteX(g, q)),
                    self.add(false, Value::CompleteXX(g, q)),
                )
            })
            .collect();
        let total = (
            self.add(false, Value::CompleteT(g)),
            self.add(false, Value::CompleteTT(g)),
        );
        AlphaSpec {
            code: group.to_string(),
            complete,
            items,
            total,
        }
    }

    /// A share of those who answered `q`: (Σ w·[answer in codes], Σ w·valid, count valid).
    pub fn share(&mut self, q: &Question, codes: &[i32]) -> (usize, usize, usize) {
        let qi = self.question(q);
        let hit = self.add(true, Value::In(qi, codes.to_vec()));
        (hit, self.valid(q), self.valid_n(q))
    }
}

/// Sums kept for every question: Σw·valid, Σvalid, Σw·satisfied, Σw·x, Σw·x².
const PER_QUESTION: usize = 5;
/// Sums kept for every group of items (element, overall), from each respondent's row sums
/// pv (valid answers), ps (satisfied) and px (score): Σw·[pv>0], Σ[pv>0], Σw·pv, Σw·pv²,
/// Σw·ps, Σw·ps², Σw·ps·pv, Σw·px, Σw·px², Σw·px·pv, Σw·[all satisfied], and over complete
/// respondents (every item valid): Σ1, Σpx, Σpx².
const PER_GROUP: usize = 14;

#[derive(Clone, Copy, Default)]
struct Needs {
    pooled: bool,
    comprehensive: bool,
    complete: bool,
}

/// What the pass computes besides every question's and group's fixed sums.
struct Layout {
    /// Per group, which of its sums a figure uses: the pooled ratio's (pv, ps, px and their
    /// products), the comprehensive index's, Cronbach's α's (complete respondents). The
    /// others are not computed.
    needs: Vec<Needs>,
    /// The shares: a question and the codes counted.
    shares: Vec<(usize, Vec<i32>)>,
}

impl Vars {
    fn layout(&self) -> Layout {
        let shares: Vec<(usize, Vec<i32>)> = self
            .defs
            .iter()
            .filter_map(|(_, v)| match v {
                Value::In(q, codes) => Some((*q, codes.clone())),
                _ => None,
            })
            .collect();
        let mut needs = vec![Needs::default(); self.groups.len()];
        for (_, v) in &self.defs {
            match v {
                Value::PooledY(g, _)
                | Value::PooledYY(g, _)
                | Value::PooledXY(g, _)
                | Value::PooledV(g)
                | Value::PooledVV(g) => needs[*g].pooled = true,
                Value::Comprehensive(g) => needs[*g].comprehensive = true,
                Value::Complete(g)
                | Value::CompleteT(g)
                | Value::CompleteTT(g)
                | Value::CompleteX(g, _)
                | Value::CompleteXX(g, _) => needs[*g].complete = true,
                _ => {}
            }
        }
        Layout { needs, shares }
    }

    /// Where registered quantity `v` (weighted or not) is kept: its piece (an index into
    /// [`Vars::pieces`]) and its place among that piece's sums of a PSU.
    fn place(&self, l: &Layout, weighted: bool, v: &Value) -> (usize, usize) {
        let question_pieces = self.questions.len().div_ceil(QUESTIONS_AT_ONCE);
        let question = |q: usize, k: usize| {
            (
                q / QUESTIONS_AT_ONCE,
                PER_QUESTION * (q % QUESTIONS_AT_ONCE) + k,
            )
        };
        let group = |g: usize, k: usize| (question_pieces + g, k);
        let member = |g: usize, q: usize, k: usize| {
            let m = self.groups[g].1.iter().position(|m| *m == q).unwrap_or(0);
            group(g, PER_GROUP + 2 * m + k)
        };
        let m_off = |m: ItemMeasure| if m == ItemMeasure::SatisfiedPct { 4 } else { 7 };
        match v {
            Value::Valid(q) => question(*q, if weighted { 0 } else { 1 }),
            Value::Satisfied(q) => question(*q, 2),
            Value::Score(q) => question(*q, 3),
            Value::ScoreSquared(q) => question(*q, 4),
            Value::Any(g) => group(*g, if weighted { 0 } else { 1 }),
            Value::PooledV(g) => group(*g, 2),
            Value::PooledVV(g) => group(*g, 3),
            Value::PooledY(g, m) => group(*g, m_off(*m)),
            Value::PooledYY(g, m) => group(*g, m_off(*m) + 1),
            Value::PooledXY(g, m) => group(*g, m_off(*m) + 2),
            Value::Comprehensive(g) => group(*g, 10),
            Value::Complete(g) => group(*g, 11),
            Value::CompleteT(g) => group(*g, 12),
            Value::CompleteTT(g) => group(*g, 13),
            Value::CompleteX(g, q) => member(*g, *q, 0),
            Value::CompleteXX(g, q) => member(*g, *q, 1),
            Value::In(q, codes) => {
                let s = l
                    .shares
                    .iter()
                    .position(|(sq, sc)| sq == q && sc == codes)
                    .unwrap_or(0);
                (question_pieces + self.groups.len() + s, 0)
            }
        }
    }

    /// The pieces the sums are kept in, each summed by one thread over a part's rows: the
    /// questions by [`QUESTIONS_AT_ONCE`], then the groups, then the shares ([`Vars::place`]
    /// counts on this order).
    fn pieces(&self, l: &Layout) -> Vec<Piece> {
        let nq = self.questions.len();
        let questions = (0..nq)
            .step_by(QUESTIONS_AT_ONCE)
            .map(|j| Piece::Questions(j, QUESTIONS_AT_ONCE.min(nq - j)));
        let groups = (0..self.groups.len()).map(Piece::Items);
        let shares = (0..l.shares.len()).map(Piece::Share);
        questions.chain(groups).chain(shares).collect()
    }

    /// How many sums `piece` keeps per PSU.
    fn stride(&self, piece: Piece) -> usize {
        match piece {
            Piece::Questions(_, k) => PER_QUESTION * k,
            Piece::Items(g) => items_stride(&self.groups[g].1),
            Piece::Share(_) => 1,
        }
    }

    /// Adds a part's rows, in file order, to `piece`'s sums (`acc`: [`Vars::stride`] sums per
    /// PSU). Every sum receives its rows' terms in file order, each term computed as one
    /// respondent's: the same additions in the same order as row by row.
    fn add_piece(
        &self,
        l: &Layout,
        piece: Piece,
        acc: &mut [f64],
        counts: &mut Counts,
        part: &Part<'_>,
    ) {
        let t = self.threshold;
        match piece {
            Piece::Questions(j, 2) => add_questions::<2>(t, part, &part.x[j..j + 2], acc),
            Piece::Questions(j, _) => add_questions::<1>(t, part, &part.x[j..j + 1], acc),
            Piece::Items(k) => add_items(t, &self.groups[k].1, l.needs[k], part, counts, acc),
            Piece::Share(s) => {
                let (q, codes) = &l.shares[s];
                let rows = part.gid.iter().zip(part.w).zip(&part.x[*q]);
                for ((&g, &w), &x) in rows {
                    if x != NONE && codes.contains(&x) {
                        acc[g as usize] += w;
                    }
                }
            }
        }
    }
}

/// Questions summed together in one pass over a part's rows.
const QUESTIONS_AT_ONCE: usize = 2;

/// A part of the sums, summed by one thread: up to [`QUESTIONS_AT_ONCE`] questions' five
/// each (from the first, how many), an item group's (with its members' over complete
/// respondents), or one share's.
#[derive(Clone, Copy)]
enum Piece {
    Questions(usize, usize),
    Items(usize),
    Share(usize),
}

/// [`Vars::add_piece`] for `K` questions (`cols`, cleaned): per PSU their valid weight, valid
/// count, satisfied weight, Σw·x and Σw·x², each taking the rows in file order. Without
/// branches (whether an answer is valid, or satisfied, is a coin toss for the processor): a
/// blank adds zeros; every sum starts at +0 and adding ±0 leaves a number as it is, so the
/// sums are those of skipping it.
fn add_questions<const K: usize>(t: i32, part: &Part<'_>, cols: &[Vec<i32>], acc: &mut [f64]) {
    let cols: [&[i32]; K] = std::array::from_fn(|c| &cols[c][..part.gid.len()]);
    for (i, (&g, &w0)) in part.gid.iter().zip(part.w).enumerate() {
        let b = PER_QUESTION * K * g as usize;
        let r = &mut acc[b..b + PER_QUESTION * K];
        for (r, col) in r.chunks_exact_mut(PER_QUESTION).zip(&cols) {
            let x = col[i];
            let valid = x != NONE;
            let w = if valid { w0 } else { 0.0 };
            let x_f = f64::from(x);
            r[0] += w;
            r[1] += if valid { 1.0 } else { 0.0 };
            r[2] += if x >= t { w } else { 0.0 };
            r[3] += w * x_f;
            r[4] += w * x_f * x_f;
        }
    }
}

/// Sums an item group keeps per PSU: [`PER_GROUP`], then two per member.
fn items_stride(members: &[usize]) -> usize {
    PER_GROUP + 2 * members.len()
}

/// [`Vars::add_piece`] for an item group (`members`, with what its figures use, `needs`): per
/// PSU the sums of [`PER_GROUP`], then each member's Σx and Σx² over complete respondents.
fn add_items(
    t: i32,
    members: &[usize],
    needs: Needs,
    part: &Part<'_>,
    counts: &mut Counts,
    acc: &mut [f64],
) {
    let rows = part.gid.iter().zip(part.w);
    let stride = items_stride(members);
    let n = part.gid.len();
    // Each respondent's count of valid and of satisfied answers and score total,
    // column by column (one stream at a time, as the processor reads best), in
    // integers: exact, so the same numbers as summing 1.0s and scores in f64.
    let Counts { nv, ns, sx } = counts.zeroed(n);
    for &q in members {
        let c = &part.x[q][..n];
        for (((&x, nv), ns), sx) in c.iter().zip(&mut *nv).zip(&mut *ns).zip(&mut *sx) {
            let valid = x != NONE;
            *nv += u32::from(valid);
            *ns += u32::from(valid & (x >= t));
            *sx += i64::from(x) * i64::from(valid);
        }
    }
    let complete = u32::try_from(members.len()).unwrap_or(u32::MAX);
    for (((&g, &w), &nv), (&ns, &sx)) in rows.zip(&*nv).zip(ns.iter().zip(&*sx)) {
        if nv == 0 {
            continue;
        }
        let (pv, ps, px) = (f64::from(nv), f64::from(ns), sx as f64);
        let b = stride * g as usize;
        let r = &mut acc[b..b + stride];
        r[0] += w;
        r[1] += 1.0;
        if needs.pooled {
            r[2] += w * pv;
            r[3] += w * pv * pv;
            r[4] += w * ps;
            r[5] += w * ps * ps;
            r[6] += w * ps * pv;
            r[7] += w * px;
            r[8] += w * px * px;
            r[9] += w * px * pv;
        }
        if needs.comprehensive {
            r[10] += if ps == pv { w } else { 0.0 };
        }
        if needs.complete && nv == complete {
            r[11] += 1.0;
            r[12] += px;
            r[13] += px * px;
        }
    }
    // The members' own Σx and Σx² over complete respondents, a member at a time,
    // in integers and without branches (a respondent who is not complete adds
    // zeros), then added to the sums. They are whole numbers far below 2⁵³, so
    // exact in any order: the same as adding each respondent's in f64.
    if needs.complete {
        let n_groups = acc.len() / stride.max(1);
        let mut sums = vec![0i64; 2 * n_groups];
        for (m, &q) in members.iter().enumerate() {
            sums.fill(0);
            let rows = part.gid.iter().zip(&part.x[q]).zip(nv.iter());
            for ((&g, &x), &nv) in rows {
                let k = i64::from(nv == complete);
                // A blank (i32::MIN) squared is 2⁶², still an i64; times 0.
                let x = i64::from(x) * k;
                let s = &mut sums[2 * g as usize..2 * g as usize + 2];
                s[0] += x;
                s[1] += x * x;
            }
            for (r, s) in acc.chunks_exact_mut(stride).zip(sums.chunks_exact(2)) {
                r[PER_GROUP + 2 * m] += s[0] as f64;
                r[PER_GROUP + 2 * m + 1] += s[1] as f64;
            }
        }
    }
}

/// An item group's per-respondent counts of valid and satisfied answers and score totals,
/// kept from part to part (allocating them afresh costs the kernel's clearing of their pages).
#[derive(Default)]
struct Counts {
    nv: Vec<u32>,
    ns: Vec<u32>,
    sx: Vec<i64>,
}

impl Counts {
    /// The counts for `n` respondents, all zero.
    fn zeroed(&mut self, n: usize) -> &mut Counts {
        for v in [&mut self.nv, &mut self.ns] {
            v.clear();
            v.resize(n, 0);
        }
        self.sx.clear();
        self.sx.resize(n, 0);
        self
    }
}

/// A part's rows as the sums read them, in file order: each answer column cleaned, and each
/// row's PSU group and weight.
struct Part<'a> {
    x: &'a [Vec<i32>],
    gid: &'a [u32],
    w: &'a [f64],
}

/// A stored answer column as codes, `NONE` where blank or not a valid answer on `scale`.
fn cleaned(
    arr: &Int32Chunked,
    scale: &crate::instrument::Scale,
    out: &mut Vec<i32>,
) -> PolarsResult<()> {
    let arr = arr.rechunk();
    let mut chunks = arr.downcast_iter();
    let (Some(chunk), None) = (chunks.next(), chunks.next()) else {
        polars_bail!(ComputeError: "an answer column in more than one chunk");
    };
    // The cleaned code of each code from -128 to 127, looked up; others are asked of the scale.
    let mut table = [NONE; 256];
    for (c, t) in (-128..128).zip(table.iter_mut()) {
        if scale.is_valid(c) {
            *t = c;
        }
    }
    let values = chunk.values().as_slice();
    let clean = |x: i32| match table.get((x as u32).wrapping_add(128) as usize) {
        Some(&c) => c,
        None if x != NONE && scale.is_valid(x) => x,
        None => NONE,
    };
    out.clear();
    out.extend(values.iter().map(|&x| clean(x)));
    // Then the blanks, 64 rows at a time from the validity bitmap's words.
    if let Some(v) = chunk.validity().filter(|v| v.unset_bits() > 0) {
        let blank = |out: &mut [i32], at: usize, word: u64, len: usize| {
            let mut nulls = !word & (u64::MAX >> (64 - len.clamp(1, 64)));
            while nulls != 0 {
                out[at + nulls.trailing_zeros() as usize] = NONE;
                nulls &= nulls - 1;
            }
        };
        let mut words = v.fast_iter_u64();
        let mut at = 0;
        for word in words.by_ref() {
            blank(out, at, word, 64);
            at += 64;
        }
        let ([lo, hi], left) = words.remainder();
        if left > 0 {
            blank(out, at, lo, left.min(64));
        }
        if left > 64 {
            blank(out, at + 64, hi, left - 64);
        }
    }
    Ok(())
}

/// The groups seen so far, found by the hash of their key; the rare other key whose hash is
/// already taken, by the key itself.
#[derive(Default)]
struct GroupIndex {
    by_hash: foldhash::HashMap<u64, usize>,
    collided: foldhash::HashMap<OwnedKey, usize>,
}

impl GroupIndex {
    /// The group of `key` (whose hash is `hash`), added to `keys` if new: (group, new).
    fn find_or_add(
        &mut self,
        keys: &mut Vec<OwnedKey>,
        hash: u64,
        key: GroupKey<'_>,
    ) -> (usize, bool) {
        let (u, hh, pp, j) = key;
        let owned = || (u.to_string(), hh.to_string(), pp.to_string(), j);
        match self.by_hash.get(&hash) {
            Some(&g) => {
                let k = &keys[g];
                if k.0 == u && k.1 == hh && k.2 == pp && k.3 == j {
                    return (g, false);
                }
                if let Some(&g) = self.collided.get(&owned()) {
                    return (g, false);
                }
                self.collided.insert(owned(), keys.len());
            }
            None => {
                self.by_hash.insert(hash, keys.len());
            }
        }
        keys.push(owned());
        (keys.len() - 1, true)
    }
}

/// The hash of a row's key (unit, stratum, PSU, calibration cell), the same on every run.
fn key_hash(unit: &str, stratum: &str, psu: &str, cell: usize) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x6b65_7973).hash_one((unit, stratum, psu, cell))
}

/// A row's key: unit, stratum, PSU, joint calibration cell.
type GroupKey<'a> = (&'a str, &'a str, &'a str, usize);
/// A group's key, kept.
type OwnedKey = (String, String, String, usize);

/// The smallest and largest fpc seen, widened to take in `lo` and `hi`.
type FpcRange = (Option<f64>, Option<f64>);

fn widen(range: &mut FpcRange, lo: Option<f64>, hi: Option<f64>) {
    if let Some(f) = lo {
        range.0 = Some(range.0.map_or(f, |x| x.min(f)));
    }
    if let Some(f) = hi {
        range.1 = Some(range.1.map_or(f, |x| x.max(f)));
    }
}

/// Row `i`'s calibration cell: its values of the calibration columns.
fn cell_key(cal: &[StringChunked], i: usize) -> Vec<String> {
    cal.iter()
        .map(|c| c.get(i).unwrap_or("").to_string())
        .collect()
}

/// The groups of the pass (unit, stratum, PSU, cell), each with its Σ weight, respondents
/// and fpc range.
struct Groups {
    keys: Vec<OwnedKey>,
    row_w: Vec<f64>,
    row_n: Vec<f64>,
    fpc: Vec<FpcRange>,
}

/// Per-PSU sums, one row per unit × stratum × PSU × calibration cell in sorted order, with the
/// design around them.
pub struct Totals {
    unit: Vec<String>,
    pub stratum: Vec<usize>,
    /// The design PSU of each row (index into the design's PSUs, sorted by stratum).
    pub psu: Vec<usize>,
    /// The joint calibration cell of each row (0 without calibration).
    pub cell: Vec<usize>,
    cols: Vec<Vec<f64>>,
    /// With raking: the same sums with every weight 1.
    unweighted: Option<Vec<Vec<f64>>>,
    /// Σ calibrated weight and number of respondents of each row.
    pub row_w: Vec<f64>,
    pub row_n: Vec<f64>,
    strata: Vec<String>,
    n_psu: Vec<usize>,
    /// The stratum of each design PSU.
    pub psu_stratum: Vec<usize>,
    fpc: Vec<FpcRange>,
    /// The calibration, when the weights were calibrated to frames.
    pub cells: Option<Cells>,
}

/// Rows read at a time: the pass holds one part of the table, not the table. The
/// environment variable `CHISO_CHUNK_ROWS` sets another size (the results do not change).
const CHUNK_ROWS: i64 = 1 << 18;

/// The rows of `lf` in parts of [`CHUNK_ROWS`] (or `CHISO_CHUNK_ROWS`), in order, read one
/// part ahead on a thread of their own: the next part is decoded while this one is summed, and
/// at most two parts are held besides the one being read.
pub(super) fn chunks(lf: LazyFrame) -> impl Iterator<Item = PolarsResult<DataFrame>> {
    let size: i64 = std::env::var("CHISO_CHUNK_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(CHUNK_ROWS);
    let (tx, rx) = std::sync::mpsc::sync_channel(0);
    let reader = std::thread::spawn(move || {
        for part in crate::store::in_parts(lf, size) {
            // The receiver is gone when the pass stopped early: nothing more to read.
            if tx.send(part).is_err() {
                break;
            }
        }
    });
    let mut reader = Some(reader);
    std::iter::from_fn(move || match rx.recv() {
        Ok(part) => Some(part),
        // The reader is done: it ended, or it stopped on a panic, which must not pass for the
        // end of the rows.
        Err(_) => match reader.take().map(std::thread::JoinHandle::join) {
            Some(Err(_)) => Some(Err(
                polars_err!(ComputeError: "{}", crate::msg!("estimate.reading_stopped")),
            )),
            _ => None,
        },
    })
}

fn strs(df: &DataFrame, name: &str) -> PolarsResult<StringChunked> {
    Ok(df.column(name)?.str()?.rechunk().into_owned())
}

impl Totals {
    /// The single pass: stored answers → per-PSU sums of every registered quantity, the
    /// design weights calibrated first when `weighting` asks.
    pub fn collect(
        rows: LazyFrame,
        vars: &Vars,
        weighting: &Weighting,
    ) -> Result<Totals, EstimateError> {
        let cal_cols = weighting.columns();
        let mut select = vec![
            col("unit_id"),
            col("weight")
                .cast(DataType::Float64)
                .fill_null(lit(1.0))
                .alias(W),
            col("stratum").fill_null(lit("")).alias(H),
            // Without PSUs, each respondent is its own PSU.
            when(col("psu").is_null())
                .then(col("respondent_id"))
                .otherwise(col("psu"))
                .alias(PSU),
            col("fpc").cast(DataType::Float64),
        ];
        select.extend(cal_cols.iter().enumerate().map(|(i, c)| {
            col(c.as_str())
                .cast(DataType::String)
                .fill_null(lit(""))
                .alias(format!("__cal{i}"))
        }));
        select.extend(
            vars.questions
                .iter()
                .map(|q| col(q.code.as_str()).cast(DataType::Int32)),
        );
        let rows = rows.select(select);
        let layout = vars.layout();
        let nq = vars.questions.len();
        // Calibration cells first (a pass over the weights and the cell columns only): joint
        // cells numbered in sorted order of their values; each cell's design weight summed in
        // file order.
        let cal_names: Vec<String> = (0..cal_cols.len()).map(|i| format!("__cal{i}")).collect();
        let mut cell_of: BTreeMap<Vec<String>, usize> = BTreeMap::new();
        let cells = if cal_cols.is_empty() {
            None
        } else {
            let mut ids: BTreeMap<Vec<String>, (f64, usize)> = BTreeMap::new();
            let mut only: Vec<Expr> = vec![col(W)];
            only.extend(cal_names.iter().map(|c| col(c.as_str())));
            for chunk in chunks(rows.clone().select(only)) {
                let df = chunk?;
                let w = df.column(W)?.f64()?.clone();
                let cal: Vec<StringChunked> = cal_names
                    .iter()
                    .map(|c| strs(&df, c))
                    .collect::<PolarsResult<_>>()?;
                for i in 0..df.height() {
                    let e = ids.entry(cell_key(&cal, i)).or_insert((0.0, 0));
                    e.0 += w.get(i).unwrap_or(1.0);
                    e.1 += 1;
                }
            }
            let keys: Vec<Vec<String>> = ids.keys().cloned().collect();
            let w0: Vec<f64> = ids.values().map(|v| v.0).collect();
            let count: Vec<usize> = ids.values().map(|v| v.1).collect();
            let cells = Cells::new(weighting, &cal_cols, &keys, &w0, &count)?;
            cell_of = keys.into_iter().enumerate().map(|(j, k)| (k, j)).collect();
            Some(cells)
        };
        // The one pass over the answers, part by part in file order: each row's group (unit,
        // stratum, PSU, cell), numbered as first seen, and every group's sums accumulated in
        // file order — the same additions in the same order as over the whole table at once,
        // in memory that grows with the groups, not the respondents.
        let rake = cells.as_ref().is_some_and(|c| c.is_rake());
        let mut groups = GroupIndex::default();
        let mut cell: Vec<usize> = Vec::new();
        let mut hashed: Vec<u64> = Vec::new();
        let mut keys: Vec<OwnedKey> = Vec::new();
        let pieces = vars.pieces(&layout);
        let mut sums: Vec<Vec<f64>> = vec![Vec::new(); pieces.len()];
        let mut sums_plain: Vec<Vec<f64>> = vec![Vec::new(); pieces.len()];
        let mut counts: Vec<Counts> = (0..pieces.len()).map(|_| Counts::default()).collect();
        let mut row_w: Vec<f64> = Vec::new();
        let mut row_n: Vec<f64> = Vec::new();
        let mut fpc_of: Vec<FpcRange> = Vec::new();
        // A part's buffers, kept from part to part (allocating them afresh for every part
        // costs the kernel's clearing of their pages each time).
        let mut w: Vec<f64> = Vec::new();
        let mut gid: Vec<u32> = Vec::new();
        let mut ones: Vec<f64> = Vec::new();
        let mut x: Vec<Vec<i32>> = vec![Vec::new(); nq];
        for chunk in chunks(rows) {
            let df = chunk?;
            let n = df.height();
            let unit = strs(&df, "unit_id")?;
            let h = strs(&df, H)?;
            let p = strs(&df, PSU)?;
            let cal: Vec<StringChunked> = cal_names
                .iter()
                .map(|c| strs(&df, c))
                .collect::<PolarsResult<_>>()?;
            let fpc = df.column("fpc")?.f64()?.clone();
            w.clear();
            w.extend(df.column(W)?.f64()?.iter().map(|x| x.unwrap_or(1.0)));
            gid.clear();
            // Each row's calibration cell (its weight calibrated), then a hash of its key,
            // computed in parallel; the groups are then looked up by hash in file order, each
            // match checked against the group's key.
            cell.clear();
            match &cells {
                None => cell.resize(n, 0),
                Some(c) => {
                    for (i, wi) in w.iter_mut().enumerate() {
                        let j = cell_of.get(&cell_key(&cal, i)).copied().unwrap_or(0);
                        *wi *= c.factor[j];
                        cell.push(j);
                    }
                }
            }
            hashed.clear();
            hashed.resize(n, 0);
            const SPAN: usize = 1 << 14;
            hashed
                .par_chunks_mut(SPAN)
                .enumerate()
                .for_each(|(k, out)| {
                    let (from, len) = (k * SPAN, out.len());
                    let (us, hs, ps) = (
                        unit.slice(from as i64, len),
                        h.slice(from as i64, len),
                        p.slice(from as i64, len),
                    );
                    let keys = us.iter().zip(hs.iter()).zip(ps.iter());
                    for ((slot, ((u, hh), pp)), j) in out.iter_mut().zip(keys).zip(&cell[from..]) {
                        *slot = key_hash(u.unwrap_or(""), hh.unwrap_or(""), pp.unwrap_or(""), *j);
                    }
                });
            let rows_keys = unit.iter().zip(h.iter()).zip(p.iter());
            for (i, ((u, hh), pp)) in rows_keys.enumerate() {
                let (u, hh, pp, j) = (u.unwrap_or(""), hh.unwrap_or(""), pp.unwrap_or(""), cell[i]);
                let (g, new) = groups.find_or_add(&mut keys, hashed[i], (u, hh, pp, j));
                if new {
                    row_w.push(0.0);
                    row_n.push(0.0);
                    fpc_of.push((None, None));
                }
                // A PSU group per respondent at most: far below 2³² in any table that fits.
                gid.push(g as u32);
                row_w[g] += w[i];
                row_n[g] += 1.0;
                let f = fpc.get(i);
                widen(&mut fpc_of[g], f, f);
            }
            let n_groups = keys.len();
            let answers: Vec<Int32Chunked> = vars
                .questions
                .iter()
                .map(|q| Ok(df.column(&q.code)?.i32()?.clone()))
                .collect::<PolarsResult<_>>()?;
            x.par_iter_mut()
                .zip(&vars.questions)
                .zip(&answers)
                .try_for_each(|((out, q), arr)| cleaned(arr, &q.scale, out))?;
            // Each piece of the sums by one thread, over the part's rows in file order.
            let mut add = |sums: &mut Vec<Vec<f64>>, w: &[f64]| {
                let part = Part {
                    x: &x,
                    gid: &gid,
                    w,
                };
                let each = sums.par_iter_mut().zip(&mut counts).zip(&pieces);
                each.for_each(|((acc, counts), &piece)| {
                    acc.resize(n_groups * vars.stride(piece), 0.0);
                    vars.add_piece(&layout, piece, acc, counts, &part);
                });
            };
            add(&mut sums, &w);
            // Raking's variance needs the plain (unweighted) sums of the influence values too.
            if rake {
                ones.resize(n, 1.0);
                add(&mut sums_plain, &ones[..n]);
            }
        }
        let n_groups = keys.len();
        let places: Vec<(usize, usize)> = vars
            .defs
            .iter()
            .map(|(wtd, v)| vars.place(&layout, *wtd, v))
            .collect();
        let columns = |sums: &[Vec<f64>]| -> Vec<Vec<f64>> {
            places
                .iter()
                .map(|&(k, at)| {
                    let stride = vars.stride(pieces[k]);
                    (0..n_groups).map(|g| sums[k][g * stride + at]).collect()
                })
                .collect()
        };
        let cols = columns(&sums);
        let unweighted = rake.then(|| columns(&sums_plain));
        Ok(Totals::assemble(
            Groups {
                keys,
                row_w,
                row_n,
                fpc: fpc_of,
            },
            cols,
            unweighted,
            cells,
        ))
    }

    /// The totals from a per-PSU table another engine computed with the query of
    /// [`Vars::psu_totals_sql`] (design weights): nothing of the respondents is read.
    pub fn read(path: &std::path::Path, vars: &Vars) -> Result<Totals, EstimateError> {
        let t = super::psu_table::read(path, &vars.column_names()?)?;
        let groups = Groups {
            keys: t.keys.into_iter().map(|(u, h, p)| (u, h, p, 0)).collect(),
            row_w: t.w,
            row_n: t.n,
            fpc: t.fpc,
        };
        Ok(Totals::assemble(groups, t.sums, None, None))
    }

    /// The groups (in any order) and their sums, sorted by key, with the design they imply:
    /// strata, PSUs per stratum, each stratum's fpc range.
    fn assemble(
        groups: Groups,
        cols: Vec<Vec<f64>>,
        unweighted: Option<Vec<Vec<f64>>>,
        cells: Option<Cells>,
    ) -> Totals {
        let Groups {
            keys,
            row_w,
            row_n,
            fpc: fpc_of,
        } = groups;
        // Groups in sorted key order.
        let n_groups = keys.len();
        let mut by_key: Vec<usize> = (0..n_groups).collect();
        by_key.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
        let permute = |c: &[f64]| -> Vec<f64> { by_key.iter().map(|&g| c[g]).collect() };
        let cols: Vec<Vec<f64>> = cols.iter().map(|c| permute(c)).collect();
        let unweighted = unweighted.map(|u| u.iter().map(|c| permute(c)).collect());
        let row_w: Vec<f64> = permute(&row_w);
        let row_n: Vec<f64> = permute(&row_n);
        let fpc_of: Vec<FpcRange> = by_key.iter().map(|&g| fpc_of[g]).collect();
        let sorted: Vec<GroupKey<'_>> = by_key
            .iter()
            .map(|&g| {
                let k = &keys[g];
                (k.0.as_str(), k.1.as_str(), k.2.as_str(), k.3)
            })
            .collect();
        // The design: strata, PSUs per stratum, and each stratum's fpc range.
        let mut strata: Vec<String> = sorted.iter().map(|(_, h, _, _)| h.to_string()).collect();
        strata.sort();
        strata.dedup();
        let stratum: Vec<usize> = sorted
            .iter()
            .map(|(_, h, _, _)| strata.binary_search(&h.to_string()).unwrap_or(0))
            .collect();
        let mut psus: Vec<(usize, &str)> = sorted
            .iter()
            .zip(&stratum)
            .map(|((_, _, p, _), s)| (*s, *p))
            .collect();
        psus.sort_unstable();
        psus.dedup();
        let psu: Vec<usize> = sorted
            .iter()
            .zip(&stratum)
            .map(|((_, _, p, _), s)| psus.binary_search(&(*s, *p)).unwrap_or(0))
            .collect();
        let mut n_psu = vec![0usize; strata.len()];
        for (s, _) in &psus {
            n_psu[*s] += 1;
        }
        let mut fpc_range: Vec<FpcRange> = vec![(None, None); strata.len()];
        for (g, &(lo, hi)) in fpc_of.iter().enumerate() {
            widen(&mut fpc_range[stratum[g]], lo, hi);
        }
        Totals {
            unit: sorted.iter().map(|(u, _, _, _)| u.to_string()).collect(),
            stratum,
            psu,
            cell: sorted.iter().map(|k| k.3).collect(),
            cols,
            unweighted,
            row_w,
            row_n,
            strata,
            n_psu,
            psu_stratum: psus.iter().map(|(s, _)| *s).collect(),
            fpc: fpc_range,
            cells,
        }
    }

    pub fn len(&self) -> usize {
        self.unit.len()
    }

    pub fn col(&self, v: usize) -> &[f64] {
        &self.cols[v]
    }

    pub fn design(&self, lonely: LonelyPsu) -> Result<Design, DesignError> {
        let mut fpc = Vec::with_capacity(self.strata.len());
        for (h, (lo, hi)) in self.fpc.iter().enumerate() {
            match (lo, hi) {
                (Some(a), Some(b)) if a != b => {
                    return Err(DesignError::FpcVaries {
                        stratum: self.strata[h].clone(),
                        a: *a,
                        b: *b,
                    });
                }
                _ => fpc.push(*lo),
            }
        }
        Design::new(self.strata.clone(), self.n_psu.clone(), fpc, lonely)
    }

    /// The units in order, each with its rows (contiguous, as the table is sorted by unit).
    pub fn units(&self) -> Vec<(&str, Vec<usize>)> {
        let mut out: Vec<(&str, Vec<usize>)> = Vec::new();
        for (i, u) in self.unit.iter().enumerate() {
            match out.last_mut() {
                Some((last, rows)) if *last == u.as_str() => rows.push(i),
                _ => out.push((u.as_str(), vec![i])),
            }
        }
        out
    }

    /// The plain (unweighted) sums of variable `v`, kept when raking.
    pub fn unweighted(&self, v: usize) -> Option<&[f64]> {
        self.unweighted.as_ref().map(|u| u[v].as_slice())
    }

    /// Degrees of freedom of a domain: its PSUs minus its strata (R's `degf` of the subset).
    pub fn df_of(&self, rows: &[usize]) -> i64 {
        self.df_where(rows, |_| true)
    }

    /// Degrees of freedom of the rows of a domain for which `holds`: the PSUs holding them
    /// minus their strata, as R's `degf(subset(design, ...))`.
    pub fn df_where(&self, rows: &[usize], holds: impl Fn(usize) -> bool) -> i64 {
        let mut p: Vec<usize> = rows
            .iter()
            .filter(|&&r| holds(r))
            .map(|&r| self.psu[r])
            .collect();
        p.sort_unstable();
        p.dedup();
        let mut h: Vec<usize> = p.iter().map(|&q| self.psu_stratum[q]).collect();
        h.sort_unstable();
        h.dedup();
        p.len() as i64 - h.len() as i64
    }

    /// All units together: the rows summed by PSU and calibration cell.
    pub fn all_units(&self) -> Totals {
        let mut index: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for (&p, &c) in self.psu.iter().zip(&self.cell) {
            index.entry((p, c)).or_insert(0);
        }
        for (i, v) in index.values_mut().enumerate() {
            *v = i;
        }
        let n = index.len();
        let to: Vec<usize> = self
            .psu
            .iter()
            .zip(&self.cell)
            .map(|(&p, &c)| index[&(p, c)])
            .collect();
        let fold = |src: &[f64]| {
            let mut out = vec![0.0; n];
            for (r, &t) in to.iter().enumerate() {
                out[t] += src[r];
            }
            out
        };
        let keys: Vec<(usize, usize)> = index.keys().copied().collect();
        Totals {
            unit: vec![super::ALL.to_string(); n],
            stratum: keys.iter().map(|&(p, _)| self.psu_stratum[p]).collect(),
            psu: keys.iter().map(|&(p, _)| p).collect(),
            cell: keys.iter().map(|&(_, c)| c).collect(),
            cols: self.cols.iter().map(|c| fold(c)).collect(),
            unweighted: self
                .unweighted
                .as_ref()
                .map(|u| u.iter().map(|c| fold(c)).collect()),
            row_w: fold(&self.row_w),
            row_n: fold(&self.row_n),
            strata: self.strata.clone(),
            n_psu: self.n_psu.clone(),
            psu_stratum: self.psu_stratum.clone(),
            fpc: self.fpc.clone(),
            cells: self.cells.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys are told apart by the key, not the hash: two keys given the same hash (a planted
    /// collision) are two groups, each found again.
    #[test]
    fn groups_sharing_a_hash_are_two_groups() {
        let mut index = GroupIndex::default();
        let mut keys = Vec::new();
        let a = ("U1", "S1", "P1", 0);
        let b = ("U2", "", "P9", 0);
        let c = ("U1", "S1", "P1", 1);
        assert_eq!(index.find_or_add(&mut keys, 7, a), (0, true));
        assert_eq!(index.find_or_add(&mut keys, 7, b), (1, true));
        assert_eq!(index.find_or_add(&mut keys, 7, c), (2, true));
        assert_eq!(index.find_or_add(&mut keys, 7, b), (1, false));
        assert_eq!(index.find_or_add(&mut keys, 7, a), (0, false));
        assert_eq!(index.find_or_add(&mut keys, 7, c), (2, false));
        assert_eq!(
            index.find_or_add(&mut keys, 8, ("U3", "", "P1", 0)),
            (3, true)
        );
        assert_eq!(keys.len(), 4);
        assert_eq!(
            keys[1],
            ("U2".to_string(), String::new(), "P9".to_string(), 0)
        );
        // The real hash separates them without help.
        assert_ne!(key_hash("U1", "S1", "P1", 0), key_hash("U1", "S1", "P1", 1));
        assert_ne!(key_hash("U1", "S1P1", "", 0), key_hash("U1", "S1", "P1", 0));
    }

    /// Cleaning: valid codes kept, others (0 here, 300, -129, i32::MIN) and blanks become NONE,
    /// blanks read from the validity bitmap's words wherever they fall (first and last row of a
    /// word, a word's remainder) and in a column sliced off a word boundary.
    #[test]
    fn answers_are_cleaned_by_their_scale_and_blanks_wherever_they_fall() {
        let scale = crate::instrument::Scale {
            name: "s".into(),
            vi: None,
            en: None,
            min: 1,
            max: 5,
            values: Some(vec![1, 2, 3, 4, 5, 300]),
            labels_vi: Vec::new(),
            labels_en: Vec::new(),
            not_applicable: vec![0],
            no_answer: Vec::new(),
        };
        // Under each blank is a valid code, which must not show through.
        let values: Vec<i32> = (0..300i32)
            .map(|i| match i {
                7 => 300,
                8 => -129,
                9 => i32::MIN,
                10 => 0,
                _ => i % 5 + 1,
            })
            .collect();
        let blank = |i: usize| [0, 62, 63, 64, 127, 130, 191, 255, 256, 299].contains(&i);
        let raw: Vec<Option<i32>> = values
            .iter()
            .enumerate()
            .map(|(i, &x)| (!blank(i)).then_some(x))
            .collect();
        let expected = |r: &Option<i32>| match r {
            Some(x) if (1..=5).contains(x) || *x == 300 => *x,
            _ => NONE,
        };
        let validity: polars_arrow::bitmap::Bitmap = (0..300).map(|i| !blank(i)).collect();
        let whole = Int32Chunked::from_vec_validity("a".into(), values, Some(validity));
        for (offset, len) in [(0, 300), (3, 250), (64, 200), (1, 1), (100, 0)] {
            let part = whole.slice(offset, len);
            let mut out = Vec::new();
            cleaned(&part, &scale, &mut out).expect("one chunk");
            let want: Vec<i32> = raw[offset as usize..offset as usize + len]
                .iter()
                .map(expected)
                .collect();
            assert_eq!(out, want, "offset {offset}, {len} rows");
        }
    }
}

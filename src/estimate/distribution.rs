//! The weighted distribution of answers of each item: the share of each code of its scale
//! among the valid answers (for the diverging bar charts). One pass over the stored rows.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::instrument::Instrument;

/// Per unit (and `ALL`), per item code: (weighted shares of the scale's codes in percent,
/// in the order of the scale's values; valid answers).
pub type Distributions = BTreeMap<String, BTreeMap<String, (Vec<f64>, u64)>>;

pub fn distributions(rows: LazyFrame, inst: &Instrument) -> PolarsResult<Distributions> {
    let items: Vec<_> = inst
        .scored_items()
        .filter(|q| q.scale.values.is_some())
        .collect();
    let mut select = vec![
        col("unit_id"),
        col("weight")
            .cast(DataType::Float64)
            .fill_null(lit(1.0))
            .alias("__w"),
    ];
    select.extend(
        items
            .iter()
            .map(|q| col(q.code.as_str()).cast(DataType::Int32)),
    );
    let mut sums: BTreeMap<String, BTreeMap<String, (Vec<f64>, u64)>> = BTreeMap::new();
    // Part by part in file order: each sum gets its rows in file order, as over the whole
    // table, in memory that does not grow with the rows.
    for part in super::totals::chunks(rows.select(select)) {
        let df = part?;
        let unit = df.column("unit_id")?.str()?.rechunk().into_owned();
        let w = df.column("__w")?.f64()?.rechunk().into_owned();
        for q in &items {
            let values = q.scale.values.clone().unwrap_or_default();
            let col = df.column(&q.code)?.i32()?.rechunk().into_owned();
            for ((u, wi), a) in unit.iter().zip(w.iter()).zip(col.iter()) {
                let (Some(u), Some(a)) = (u, a) else { continue };
                let Some(k) = values.iter().position(|v| *v == a) else {
                    continue;
                };
                let wi = wi.unwrap_or(1.0);
                for key in [u, super::ALL] {
                    if !sums.get(key).is_some_and(|m| m.contains_key(&q.code)) {
                        sums.entry(key.to_string())
                            .or_default()
                            .insert(q.code.clone(), (vec![0.0; values.len()], 0));
                    }
                    if let Some(e) = sums.get_mut(key).and_then(|m| m.get_mut(&q.code)) {
                        e.0[k] += wi;
                        e.1 += 1;
                    }
                }
            }
        }
    }
    for items in sums.values_mut() {
        for (shares, _) in items.values_mut() {
            let total: f64 = shares.iter().sum();
            if total > 0.0 {
                shares.iter_mut().for_each(|s| *s *= 100.0 / total);
            }
        }
    }
    Ok(sums)
}

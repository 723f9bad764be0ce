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
    let df = rows.select(select).collect()?;
    let unit = df.column("unit_id")?.str()?.rechunk().into_owned();
    let w = df.column("__w")?.f64()?.rechunk().into_owned();
    let mut sums: BTreeMap<String, BTreeMap<String, (Vec<f64>, u64)>> = BTreeMap::new();
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
                let e = sums
                    .entry(key.to_string())
                    .or_default()
                    .entry(q.code.clone())
                    .or_insert_with(|| (vec![0.0; values.len()], 0));
                e.0[k] += wi;
                e.1 += 1;
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

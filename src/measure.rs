//! The measures chiso computes itself, by name (a methodology may name more: its `means` and
//! `shares`), and which measures are percentages.

/// Share satisfied (%): items, elements, overall.
pub const SATISFIED_PCT: &str = "satisfied_pct";
/// Mean score on the answer scale.
pub const MEAN_SCORE: &str = "mean_score";
/// Share satisfied with every item of an element (%).
pub const COMPREHENSIVE_PCT: &str = "comprehensive_pct";
/// Cronbach's alpha of an element's items.
pub const CRONBACH_ALPHA: &str = "cronbach_alpha";

/// Whether a measure is a percentage (0–100): its interval never leaves that range.
pub fn is_percent(measure: &str) -> bool {
    measure.ends_with("_pct")
}

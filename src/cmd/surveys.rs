//! `chiso surveys`: the questionnaires chiso knows.

use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    say!(
        "{:<22}  {:<26}  {:<9}  {:>8}  {:>5}  {:>9}  title",
        "survey",
        "version",
        "years",
        "elements",
        "items",
        "questions"
    );
    for i in crate::instrument::shipped()? {
        say!(
            "{:<22}  {:<26}  {:<9}  {:>8}  {:>5}  {:>9}  {}{}",
            i.id,
            i.version,
            format!("{}–{}", i.years[0], i.years[1]),
            i.elements.len(),
            i.scored_items().count(),
            i.questions.len(),
            i.title_vi,
            if i.modelled { " (modelled)" } else { "" }
        );
    }
    say!("\nitems: questions scored under an element; questions: all, including optional ones");
    Ok(ExitCode::SUCCESS)
}

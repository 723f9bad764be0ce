//! Vietnamese (default) and English labels for headers, levels and measures.

use crate::lang::Lang;

pub fn level(level: &str, lang: Lang) -> &str {
    match (level, lang) {
        ("item", Lang::Vi) => "Câu hỏi",
        ("element", Lang::Vi) => "Yếu tố",
        ("overall", Lang::Vi) => "Tổng thể",
        ("part", Lang::Vi) => "Phần",
        ("item", Lang::En) => "Items",
        ("element", Lang::En) => "Elements",
        ("overall", Lang::En) => "Overall",
        ("part", Lang::En) => "Parts",
        (other, _) => other,
    }
}

pub fn measure(measure: &str, lang: Lang) -> &str {
    match (measure, lang) {
        ("satisfied_pct", Lang::Vi) => "Tỷ lệ hài lòng (%)",
        ("mean_score", Lang::Vi) => "Điểm trung bình",
        ("comprehensive_pct", Lang::Vi) => "Tỷ lệ hài lòng toàn diện (%)",
        ("expectation_pct", Lang::Vi) => "Mức đáp ứng mong đợi (%)",
        ("return_pct", Lang::Vi) => "Tỷ lệ sẽ quay lại (%)",
        ("improve_pct", Lang::Vi) => "Tỷ lệ mong muốn cải thiện (%)",
        ("cronbach_alpha", Lang::Vi) => "Hệ số Cronbach's alpha",
        ("satisfied_pct", Lang::En) => "Satisfied (%)",
        ("mean_score", Lang::En) => "Mean score",
        ("comprehensive_pct", Lang::En) => "Satisfied with everything (%)",
        ("expectation_pct", Lang::En) => "Expectations met (%)",
        ("return_pct", Lang::En) => "Would return (%)",
        ("improve_pct", Lang::En) => "Wish to improve (%)",
        ("cronbach_alpha", Lang::En) => "Cronbach's alpha",
        (other, _) => other,
    }
}

/// Headers of the score tables shown to people (the CSV keeps the machine names).
pub fn score_headers(lang: Lang, level: f64) -> Vec<String> {
    let pct = (level * 100.0).round();
    match lang {
        Lang::Vi => vec![
            "Năm".into(),
            "Khảo sát".into(),
            "Đơn vị".into(),
            "Mã".into(),
            "Nội dung".into(),
            "Chỉ số".into(),
            "Số trả lời hợp lệ (n)".into(),
            "Giá trị".into(),
            "Sai số chuẩn".into(),
            format!("Cận dưới KTC {pct}%"),
            format!("Cận trên KTC {pct}%"),
            "Bậc tự do".into(),
            "Hiệu ứng thiết kế".into(),
            "Cảnh báo".into(),
        ],
        Lang::En => vec![
            "Year".into(),
            "Survey".into(),
            "Unit".into(),
            "Code".into(),
            "Label".into(),
            "Measure".into(),
            "Valid answers (n)".into(),
            "Estimate".into(),
            "Standard error".into(),
            format!("{pct}% CI low"),
            format!("{pct}% CI high"),
            "Degrees of freedom".into(),
            "Design effect".into(),
            "Flag".into(),
        ],
    }
}

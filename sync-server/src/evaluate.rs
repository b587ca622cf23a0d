//! `buqi evaluate`: read a survey file (and a profile), run the one evaluator, print the verdicts.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use buqi_schema::evaluate::{
    CheckResult, CheckStatus, Evaluation, ItemStatus, Measured, Requirement, ScaleStatus, Unit,
    Verdict,
};
use buqi_schema::survey::PropertyManagement;
use buqi_schema::{evaluate, Profile, Standard, Survey};
use unicode_width::UnicodeWidthStr;

use crate::{Format, Lang};

/// Exit code for input that cannot be read: the same as a command-line usage error.
const UNREADABLE: u8 = 2;

pub fn run(file: &Path, profile: Option<&Path>, format: Format, lang: Lang) -> ExitCode {
    match load(file, profile) {
        Ok(evaluation) => {
            let text = match format {
                Format::Table => table(&evaluation, lang, std::io::stdout().is_terminal()),
                Format::Json => json(&evaluation.items),
                Format::JsonFull => json(&evaluation),
            };
            // A closed pipe (`buqi evaluate … | head`) is not an error worth a message.
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("buqi evaluate: {message}");
            ExitCode::from(UNREADABLE)
        }
    }
}

fn load(file: &Path, profile: Option<&Path>) -> Result<Evaluation, String> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let survey = Survey::from_json(&text).map_err(|e| {
        let problems: Vec<String> = e.problems.iter().map(|p| format!("  {p}")).collect();
        format!("{shown} is not a valid survey:\n{}", problems.join("\n"))
    })?;
    let mut standard = Standard::builtin();
    if let Some(path) = profile {
        let shown = path.display();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let profile = Profile::from_toml(&text).map_err(|e| format!("{shown}: {e}"))?;
        standard = standard
            .with_profile(&profile)
            .map_err(|e| format!("{shown} cannot be applied:\n{e}"))?;
    }
    Ok(evaluate(&survey, &standard))
}

fn json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("evaluations always serialise");
    text.push('\n');
    text
}

/// Picks the Chinese or the English of a pair.
fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn number(value: f64, unit: Unit, lang: Lang) -> String {
    let n = |v: f64| {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_owned()
        }
    };
    match unit {
        Unit::M2 => format!("{} m²", n(value)),
        Unit::Minutes => format!("{} {}", n(value), pick(lang, "分钟", "min")),
        Unit::Count => n(value),
        Unit::Share => format!("{}%", n(value * 100.0)),
    }
}

fn requirement(r: &Requirement, lang: Lang) -> String {
    match r {
        Requirement::AtLeast { value, unit } => format!("≥ {}", number(*value, *unit, lang)),
        Requirement::AtMost { value, unit } => format!("≤ {}", number(*value, *unit, lang)),
        Requirement::Yes => pick(lang, "是", "yes").to_owned(),
        Requirement::OneOf { values } => values
            .iter()
            .map(|v| mode(v, lang))
            .collect::<Vec<_>>()
            .join(" / "),
    }
}

fn measured(m: &Measured, lang: Lang) -> String {
    match m {
        Measured::Number {
            value,
            unit,
            method,
        } => {
            let mut s = number(*value, *unit, lang);
            if let Some(method) = method {
                s.push_str(&format!(
                    "（{}）",
                    pick(lang, method.name_zh(), method.name_en())
                ));
            }
            s
        }
        Measured::Yes(b) => pick(
            lang,
            if *b { "是" } else { "否" },
            if *b { "yes" } else { "no" },
        )
        .to_owned(),
        Measured::Text(t) => mode(t, lang),
    }
}

/// A property-management mode by its id, in words; an unknown id as it is.
fn mode(id: &str, lang: Lang) -> String {
    match PropertyManagement::from_id(id) {
        Some(m) => pick(lang, m.name_zh(), m.name_en()).to_owned(),
        None => id.to_owned(),
    }
}

fn mark(status: ItemStatus, lang: Lang) -> String {
    let symbol = match status {
        ItemStatus::Met => "✓",
        ItemStatus::Gap => "✗",
        ItemStatus::Advisory => "△",
        ItemStatus::NotApplicable => "—",
        ItemStatus::NotSurveyed => "?",
    };
    format!(
        "{symbol} {}",
        pick(lang, status.name_zh(), status.name_en())
    )
}

/// The lines explaining one check that is not simply met.
fn explain(c: &CheckResult, lang: Lang) -> Vec<String> {
    let status = match c.status {
        CheckStatus::NotMet => pick(lang, "未满足", "not met"),
        CheckStatus::NotSurveyed => pick(lang, "未调查", "not surveyed"),
        _ => return Vec::new(),
    };
    let advisory = match c.strength {
        buqi_schema::standard::Strength::Advisory => pick(lang, "（建议）", " (advisory)"),
        buqi_schema::standard::Strength::Binding => "",
    };
    let mut head = format!(
        "{}{advisory} {status}",
        pick(lang, &c.title_zh, &c.title_en)
    );
    if let Some(r) = &c.required {
        head.push_str(&format!(
            "：{} {}",
            pick(lang, "要求", "required"),
            requirement(r, lang)
        ));
        if let Some(m) = &c.measured {
            head.push_str(&format!(
                "，{} {}",
                pick(lang, "实测", "found"),
                measured(m, lang)
            ));
        }
    }
    let mut lines = vec![head];
    lines.extend(
        c.details
            .iter()
            .map(|d| format!("  {}", pick(lang, &d.zh, &d.en))),
    );
    lines
}

/// Pads to a display width, counting a CJK character as two columns.
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

fn table(e: &Evaluation, lang: Lang, colour: bool) -> String {
    let mut out = String::new();
    let kind = e.community.kind.map(|k| match lang {
        Lang::Zh => format!("（{}居住社区）", k.name_zh()),
        Lang::En => format!(" ({:?} community)", k).to_lowercase(),
    });
    out.push_str(&format!(
        "{} · {}{}\n",
        pick(lang, "完整居住社区评估", "Complete-community evaluation"),
        e.community.name,
        kind.unwrap_or_default()
    ));
    out.push_str(&format!(
        "{}：{} {}",
        pick(lang, "标准", "Standard"),
        e.standard.title_zh,
        e.standard.version
    ));
    match &e.profile {
        Some(p) => out.push_str(&format!(
            "；{}：{}（{}）\n",
            pick(lang, "地方细则", "profile"),
            p.name_zh,
            p.id
        )),
        None => out.push('\n'),
    }
    let s = &e.summary;
    let verdict = match s.verdict {
        Verdict::Complete => pick(lang, "完整居住社区", "a complete community"),
        Verdict::NotComplete => pick(lang, "非完整居住社区", "not a complete community"),
        Verdict::Undetermined => pick(
            lang,
            "尚无法判定（有未调查项）",
            "undetermined (items not surveyed)",
        ),
    };
    out.push_str(&match lang {
        Lang::Zh => format!(
            "结论：{verdict} — 短板 {} 项，建议改进 {} 项，未调查 {} 项，达标 {} 项，不适用 {} 项\n",
            s.gaps, s.advisory, s.not_surveyed, s.met, s.not_applicable
        ),
        Lang::En => format!(
            "Verdict: {verdict} — {} gaps, {} advisory, {} not surveyed, {} met, {} not applicable\n",
            s.gaps, s.advisory, s.not_surveyed, s.met, s.not_applicable
        ),
    });
    let scale_mark = match e.scale.status {
        ScaleStatus::Within => "✓",
        ScaleStatus::NotSurveyed => "?",
        _ => "△",
    };
    out.push_str(&format!(
        "{}：{scale_mark} {}\n\n",
        pick(lang, "社区规模", "Scale"),
        pick(lang, &e.scale.advice_zh, &e.scale.advice_en)
    ));

    let names: Vec<&str> = e
        .items
        .iter()
        .map(|i| pick(lang, &i.name_zh, &i.name_en))
        .collect();
    let name_width = names.iter().map(|n| n.width()).max().unwrap_or(0);
    let marks: Vec<String> = e.items.iter().map(|i| mark(i.status, lang)).collect();
    let mark_width = marks.iter().map(|m| m.width()).max().unwrap_or(0);
    out.push_str(&format!(
        "{}  {}  {}  {}\n",
        pad(pick(lang, "序号", "No."), 4),
        pad(pick(lang, "建设内容", "Item"), name_width),
        pad(pick(lang, "结论", "Result"), mark_width),
        pick(lang, "说明", "Why")
    ));
    let indent = 4 + 2 + name_width + 2 + mark_width + 2;
    for ((item, name), mark) in e.items.iter().zip(&names).zip(&marks) {
        let lines: Vec<String> = item.checks.iter().flat_map(|c| explain(c, lang)).collect();
        let painted = if colour {
            let code = match item.status {
                ItemStatus::Gap => "1;31",
                ItemStatus::Advisory => "33",
                ItemStatus::NotSurveyed => "36",
                _ => "0",
            };
            format!("\x1b[{code}m{}\x1b[0m", pad(mark, mark_width))
        } else {
            pad(mark, mark_width)
        };
        let first = lines.first().map(String::as_str).unwrap_or("");
        let row = format!(
            "{:>3}   {}  {painted}  {first}",
            item.item,
            pad(name, name_width)
        );
        out.push_str(row.trim_end());
        out.push('\n');
        for line in lines.iter().skip(1) {
            out.push_str(&format!("{}{line}\n", " ".repeat(indent)));
        }
    }
    for w in &e.warnings {
        out.push_str(&format!("\n{}：{w}", pick(lang, "注意", "Note")));
    }
    if !e.warnings.is_empty() {
        out.push('\n');
    }
    out
}

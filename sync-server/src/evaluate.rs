//! `buqi evaluate`: read a survey file (and a profile), run the one evaluator, print the verdicts.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use buqi_schema::evaluate::{
    CheckResult, CheckStatus, Evaluation, ItemStatus, Measured, Requirement, ScaleStatus, Unit,
    Verdict,
};
use buqi_schema::standard::Strength;
use buqi_schema::survey::{CommunityKind, PropertyManagement};
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
    let from_stdin = file.as_os_str() == "-";
    let shown = if from_stdin {
        "standard input".to_owned()
    } else {
        file.display().to_string()
    };
    let text = if from_stdin {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|e| format!("cannot read {shown}: {e}"))?;
    let survey = Survey::from_json(&text)
        .map_err(|e| format!("{shown} is not a valid survey:\n{}", indent(&e.to_string())))?;
    let mut standard = Standard::builtin();
    if let Some(path) = profile {
        let shown = path.display();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let profile = Profile::from_toml(&text).map_err(|e| {
            format!(
                "{shown} is not a valid profile:\n{}",
                indent(&e.to_string())
            )
        })?;
        standard = standard
            .with_profile(&profile)
            .map_err(|e| format!("{shown} cannot be applied:\n{}", indent(&e.to_string())))?;
    }
    Ok(evaluate(&survey, &standard))
}

/// Indents every line of a multi-line message under its heading.
fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
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
            let value = number(*value, *unit, lang);
            match (method, lang) {
                (Some(m), Lang::Zh) => format!("{value}（{}）", m.name_zh()),
                (Some(m), Lang::En) => format!("{value} [{}]", m.name_en()),
                (None, _) => value,
            }
        }
        Measured::Yes(b) => match (b, lang) {
            (true, Lang::Zh) => "是",
            (false, Lang::Zh) => "否",
            (true, Lang::En) => "yes",
            (false, Lang::En) => "no",
        }
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
        ItemStatus::NotApplicable => "-",
        ItemStatus::NotSurveyed => "?",
    };
    format!(
        "{symbol} {}",
        pick(lang, status.name_zh(), status.name_en())
    )
}

/// Punctuation that fits the language: full-width in Chinese, ASCII in English.
struct Marks {
    colon: &'static str,
    comma: &'static str,
}

fn marks(lang: Lang) -> Marks {
    match lang {
        Lang::Zh => Marks {
            colon: "：",
            comma: "，",
        },
        Lang::En => Marks {
            colon: ": ",
            comma: ", ",
        },
    }
}

/// The lines explaining one check that is not simply met.
fn explain(c: &CheckResult, lang: Lang) -> Vec<String> {
    let status = match c.status {
        CheckStatus::NotMet => pick(lang, "未满足", "not met"),
        CheckStatus::NotSurveyed => pick(lang, "未调查", "not surveyed"),
        _ => return Vec::new(),
    };
    let advisory = match c.strength {
        Strength::Advisory => pick(lang, "[建议] ", "[advisory] "),
        Strength::Binding => "",
    };
    let Marks { colon, comma } = marks(lang);
    let mut head = format!(
        "{advisory}{} {status}",
        pick(lang, &c.title_zh, &c.title_en)
    );
    if let Some(r) = &c.required {
        head.push_str(&format!(
            "{colon}{} {}",
            pick(lang, "要求", "required"),
            requirement(r, lang)
        ));
        if let Some(m) = &c.measured {
            head.push_str(&format!(
                "{comma}{} {}",
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
    let Marks { colon, .. } = marks(lang);
    let mut out = String::new();
    let kind = match (e.community.kind, lang) {
        (Some(k), Lang::Zh) => format!("（{}居住社区）", k.name_zh()),
        (Some(CommunityKind::New), Lang::En) => " (new community)".to_owned(),
        (Some(CommunityKind::Existing), Lang::En) => " (existing community)".to_owned(),
        (None, _) => String::new(),
    };
    out.push_str(&format!(
        "{} · {}{kind}\n",
        pick(lang, "完整居住社区评估", "Complete-community evaluation"),
        e.community.name,
    ));
    out.push_str(&format!(
        "{}{colon}{} {}",
        pick(lang, "标准", "Standard"),
        pick(lang, &e.standard.title_zh, &e.standard.title_en),
        e.standard.version
    ));
    match (&e.profile, lang) {
        (Some(p), Lang::Zh) => out.push_str(&format!("；地方细则：{}（{}）\n", p.name_zh, p.id)),
        (Some(p), Lang::En) => out.push_str(&format!("; profile: {} ({})\n", p.name_en, p.id)),
        (None, _) => out.push('\n'),
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
            "Verdict: {verdict} — gaps: {}, advisory: {}, not surveyed: {}, met: {}, not applicable: {}\n",
            s.gaps, s.advisory, s.not_surveyed, s.met, s.not_applicable
        ),
    });
    let scale_mark = match e.scale.status {
        ScaleStatus::Within => "✓",
        ScaleStatus::NotSurveyed => "?",
        _ => "△",
    };
    out.push_str(&format!(
        "{}{colon}{scale_mark} {}\n\n",
        pick(lang, "社区规模", "Scale"),
        pick(lang, &e.scale.advice_zh, &e.scale.advice_en)
    ));

    let (no_head, name_head, mark_head) = (
        pick(lang, "序号", "No."),
        pick(lang, "建设内容", "Item"),
        pick(lang, "结论", "Result"),
    );
    let names: Vec<&str> = e
        .items
        .iter()
        .map(|i| pick(lang, &i.name_zh, &i.name_en))
        .collect();
    let name_width = names
        .iter()
        .chain([&name_head])
        .map(|n| n.width())
        .max()
        .unwrap_or(0);
    let item_marks: Vec<String> = e.items.iter().map(|i| mark(i.status, lang)).collect();
    let mark_width = item_marks
        .iter()
        .map(|m| m.width())
        .chain([mark_head.width()])
        .max()
        .unwrap_or(0);
    out.push_str(&format!(
        "{}  {}  {}  {}\n",
        pad(no_head, 4),
        pad(name_head, name_width),
        pad(mark_head, mark_width),
        pick(lang, "说明", "Why")
    ));
    let indent = 4 + 2 + name_width + 2 + mark_width + 2;
    for ((item, name), mark) in e.items.iter().zip(&names).zip(&item_marks) {
        let mut lines: Vec<String> = item.checks.iter().flat_map(|c| explain(c, lang)).collect();
        if item.status != ItemStatus::Met {
            for j in &item.judged_on {
                let name = j
                    .name
                    .as_deref()
                    .unwrap_or_else(|| pick(lang, j.kind.name_zh(), j.kind.name_en()));
                lines.push(match lang {
                    Lang::Zh => format!(
                        "按同一处判定：{name}（共 {} 处{}）",
                        j.candidates,
                        j.kind.name_zh()
                    ),
                    Lang::En => format!("judged on one: {name} (of {} recorded)", j.candidates),
                });
            }
        }
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
        out.push_str(&format!("\n{}{colon}{w}", pick(lang, "注意", "Note")));
    }
    if !e.warnings.is_empty() {
        out.push('\n');
    }
    out
}

//! Shared helpers for buqi's cross-crate tests: where the fixtures are, and how to read them.
//!
//! The data-driven rule tests (`rules.rs`) and the property tests (`properties.rs`) both start from
//! the two base communities in `fixtures/rules/`. A rule case is a base plus a few edits; see
//! `fixtures/rules/README.md` for the case file format, which this module reads.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use buqi_schema::evaluate::{
    CheckResult, CheckStatus, Evaluation, ItemStatus, Measured, Requirement, ScaleStatus, Unit,
    Verdict,
};
use buqi_schema::standard::{Strength, HUBEI_PROFILE};
use buqi_schema::survey::CommunityKind;
use buqi_schema::{evaluate, Profile, Standard, Survey};
use serde_json::Value;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

/// `tests/fixtures/rules`: the base communities and, under `cases/`, the rule cases.
pub fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules")
}

/// The names of the base communities, as cases name them.
pub const BASES: [&str; 2] = ["base-new", "base-existing"];

/// A base community as JSON, before any edit.
pub fn base_json(name: &str) -> Result<Value, String> {
    if !BASES.contains(&name) {
        return Err(format!("no base {name:?}; the bases are {BASES:?}"));
    }
    let path = rules_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A base community, read and validated as any survey file is.
pub fn base_survey(name: &str) -> Survey {
    let json = base_json(name).unwrap_or_else(|e| panic!("{e}"));
    Survey::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The 2020 standard, or the standard with a named profile laid over it (`"hubei"`).
pub fn standard(profile: Option<&str>) -> Result<Standard, String> {
    let builtin = Standard::builtin();
    match profile {
        None => Ok(builtin),
        Some("hubei") => {
            let profile = Profile::from_toml(HUBEI_PROFILE).map_err(|e| e.to_string())?;
            builtin.with_profile(&profile).map_err(|e| e.to_string())
        }
        Some(other) => Err(format!("no profile {other:?}; the one known is \"hubei\"")),
    }
}

/// One change to a base community's JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Sets the value at a path: replaces it, or adds the key to its object (`-` appends to an array).
    Set { path: String, value: Value },
    /// Removes the value at a path: an object's key or an array's element.
    Remove { path: String },
    /// Appends the value to the array at a path.
    Add { path: String, value: Value },
}

/// A rule case: a base community, edits, and what the evaluator must say about the result.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The file's name without `.json`: also the snapshot's name.
    pub name: String,
    /// What the case is about, in a sentence, quoting the standard where it can.
    pub about: String,
    pub base: String,
    pub profile: Option<String>,
    pub edits: Vec<Edit>,
    /// `(key, value)`: see the README for the keys.
    pub expect: Vec<(String, Value)>,
}

/// Every case file under `fixtures/rules/cases/`, sorted by name.
pub fn load_cases() -> Vec<Case> {
    let dir = rules_dir().join("cases");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text =
                std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a case file name in UTF-8");
            parse_case(name, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect()
}

/// Reads one case file.
pub fn parse_case(name: &str, text: &str) -> Result<Case, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Value::Object(map) = value else {
        return Err("expected a JSON object".into());
    };
    for key in map.keys() {
        if !["about", "base", "profile", "edits", "expect"].contains(&key.as_str()) {
            return Err(format!("unknown field {key:?}"));
        }
    }
    let text_field = |key: &str| -> Result<Option<String>, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("{key}: expected a text, got {other}")),
        }
    };
    let about = text_field("about")?.ok_or("about: say what the case is about")?;
    let base = text_field("base")?.ok_or("base: name the base community")?;
    if !BASES.contains(&base.as_str()) {
        return Err(format!("base: expected one of {BASES:?}, got {base:?}"));
    }
    let profile = text_field("profile")?;

    let mut edits = Vec::new();
    let raw_edits = match map.get("edits") {
        None => &Vec::new(),
        Some(Value::Array(a)) => a,
        Some(other) => return Err(format!("edits: expected a list, got {other}")),
    };
    for (i, e) in raw_edits.iter().enumerate() {
        edits.push(parse_edit(e).map_err(|m| format!("edits[{i}]: {m}"))?);
    }

    let expect: Vec<(String, Value)> = match map.get("expect") {
        Some(Value::Object(m)) if !m.is_empty() => {
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        }
        _ => return Err("expect: give at least one expected status".into()),
    };
    Ok(Case {
        name: name.to_owned(),
        about,
        base,
        profile,
        edits,
        expect,
    })
}

fn parse_edit(e: &Value) -> Result<Edit, String> {
    let Value::Object(m) = e else {
        return Err(format!("expected an object, got {e}"));
    };
    let path = |key: &str| match m.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        other => Err(format!("{key}: expected a JSON pointer, got {other:?}")),
    };
    let value = || m.get("value").cloned().ok_or("value: missing");
    let allowed = |keys: &[&str]| match m.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(format!("unexpected field {k:?}")),
        None => Ok(()),
    };
    if m.contains_key("set") {
        allowed(&["set", "value"])?;
        Ok(Edit::Set {
            path: path("set")?,
            value: value()?,
        })
    } else if m.contains_key("remove") {
        allowed(&["remove"])?;
        Ok(Edit::Remove {
            path: path("remove")?,
        })
    } else if m.contains_key("add") {
        allowed(&["add", "value"])?;
        Ok(Edit::Add {
            path: path("add")?,
            value: value()?,
        })
    } else {
        Err(format!("expected \"set\", \"remove\" or \"add\", got {e}"))
    }
}

/// Splits a pointer into its unescaped segments.
fn segments(pointer: &str) -> Result<Vec<String>, String> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("{pointer:?}: a pointer starts with '/'"));
    };
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Turns the `@field=value` segments of a pointer into array indices, giving a plain JSON pointer.
/// The last segment may stay `-` (the end of an array).
fn plain_pointer(doc: &Value, pointer: &str) -> Result<String, String> {
    let mut plain = String::new();
    for seg in segments(pointer)? {
        match seg.strip_prefix('@') {
            Some(selector) => {
                let (field, want) = selector
                    .split_once('=')
                    .ok_or_else(|| format!("{pointer:?}: a selector is @field=value"))?;
                let Some(Value::Array(items)) = doc.pointer(&plain) else {
                    return Err(format!("{pointer:?}: {plain:?} is not a list"));
                };
                let hits: Vec<usize> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, item)| match item.get(field) {
                        Some(Value::String(s)) => s == want,
                        Some(v @ (Value::Number(_) | Value::Bool(_))) => {
                            serde_json::from_str::<Value>(want).is_ok_and(|w| &w == v)
                        }
                        _ => false,
                    })
                    .map(|(i, _)| i)
                    .collect();
                match hits.as_slice() {
                    [i] => write!(plain, "/{i}").expect("writing to a String"),
                    [] => {
                        return Err(format!(
                            "{pointer:?}: nothing in {plain:?} has {field} = {want:?}"
                        ))
                    }
                    _ => {
                        return Err(format!(
                        "{pointer:?}: {} elements of {plain:?} have {field} = {want:?}; select one",
                        hits.len()
                    ))
                    }
                }
            }
            None => write!(plain, "/{}", escape(&seg)).expect("writing to a String"),
        }
    }
    Ok(plain)
}

/// Splits a plain pointer into its parent and its last segment.
fn parent_and_last(plain: &str) -> (&str, String) {
    let at = plain
        .rfind('/')
        .expect("a pointer with at least one segment");
    (
        &plain[..at],
        plain[at + 1..].replace("~1", "/").replace("~0", "~"),
    )
}

/// Applies one edit to a survey's JSON.
pub fn apply_edit(doc: &mut Value, edit: &Edit) -> Result<(), String> {
    match edit {
        Edit::Set { path, value } => {
            let plain = plain_pointer(doc, path)?;
            let (parent, last) = parent_and_last(&plain);
            match doc.pointer_mut(parent) {
                Some(Value::Object(m)) => {
                    m.insert(last, value.clone());
                }
                Some(Value::Array(a)) if last == "-" => a.push(value.clone()),
                Some(Value::Array(a)) => {
                    let slot = last
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| a.get_mut(i))
                        .ok_or_else(|| format!("set {path:?}: no element {last}"))?;
                    *slot = value.clone();
                }
                _ => {
                    return Err(format!(
                        "set {path:?}: {parent:?} is not an object or a list"
                    ))
                }
            }
        }
        Edit::Remove { path } => {
            let plain = plain_pointer(doc, path)?;
            let (parent, last) = parent_and_last(&plain);
            match doc.pointer_mut(parent) {
                Some(Value::Object(m)) => {
                    m.remove(&last).ok_or_else(|| {
                        format!("remove {path:?}: there is no {last:?} to remove")
                    })?;
                }
                Some(Value::Array(a)) => {
                    let i = last
                        .parse::<usize>()
                        .ok()
                        .filter(|&i| i < a.len())
                        .ok_or_else(|| format!("remove {path:?}: no element {last}"))?;
                    a.remove(i);
                }
                _ => {
                    return Err(format!(
                        "remove {path:?}: {parent:?} is not an object or a list"
                    ))
                }
            }
        }
        Edit::Add { path, value } => {
            let plain = plain_pointer(doc, path)?;
            match doc.pointer_mut(&plain) {
                Some(Value::Array(a)) => a.push(value.clone()),
                _ => return Err(format!("add {path:?}: not a list")),
            }
        }
    }
    Ok(())
}

/// The case's survey JSON: its base with the edits applied in order.
pub fn case_json(case: &Case) -> Result<Value, String> {
    let mut doc = base_json(&case.base)?;
    for (i, edit) in case.edits.iter().enumerate() {
        apply_edit(&mut doc, edit).map_err(|e| format!("edits[{i}]: {e}"))?;
    }
    Ok(doc)
}

/// Builds, reads (validating, as any survey file is read) and evaluates a case.
pub fn evaluate_case(case: &Case) -> Result<(Survey, Evaluation), String> {
    let doc = case_json(case)?;
    let survey = Survey::from_json(&doc.to_string())
        .map_err(|e| format!("the edited survey does not read:\n{e}"))?;
    let standard = standard(case.profile.as_deref())?;
    let evaluation = evaluate(&survey, &standard);
    Ok((survey, evaluation))
}

/// A status, strength or kind, which has an id in files.
pub trait FileId {
    /// The id in files: `not_met`, `gap`, `binding`.
    fn file_id(&self) -> String;
}

macro_rules! file_id {
    ($($t:ty),*) => {$(
        impl FileId for $t {
            fn file_id(&self) -> String {
                match serde_json::to_value(self) {
                    Ok(Value::String(s)) => s,
                    other => format!("{other:?}"),
                }
            }
        }
    )*};
}

file_id!(
    ItemStatus,
    CheckStatus,
    Strength,
    Verdict,
    ScaleStatus,
    CommunityKind
);

/// The id a status or strength has in files: `not_met`, `gap`, `binding`.
pub fn id(value: &impl FileId) -> String {
    value.file_id()
}

fn unit(u: Unit) -> &'static str {
    match u {
        Unit::M2 => " m²",
        Unit::Minutes => " min",
        Unit::Count => "",
        Unit::Share => "",
    }
}

fn number(value: f64, u: Unit) -> String {
    match u {
        Unit::Share => format!("{value} ({:.2} %)", value * 100.0),
        _ => format!("{value}{}", unit(u)),
    }
}

fn required(r: &Option<Requirement>) -> String {
    match r {
        None => "-".into(),
        Some(Requirement::AtLeast { value, unit }) => format!("≥ {}", number(*value, *unit)),
        Some(Requirement::AtMost { value, unit }) => format!("≤ {}", number(*value, *unit)),
        Some(Requirement::Yes) => "yes".into(),
        Some(Requirement::OneOf { values }) => format!("one of {}", values.join("|")),
    }
}

fn measured(m: &Option<Measured>) -> String {
    match m {
        None => "-".into(),
        Some(Measured::Number {
            value,
            unit,
            method,
        }) => match method {
            Some(method) => format!("{} [{method}]", number(*value, *unit)),
            None => number(*value, *unit),
        },
        Some(Measured::Yes(b)) => if *b { "yes" } else { "no" }.into(),
        Some(Measured::Text(t)) => t.clone(),
    }
}

/// The compact text a case's snapshot holds: the summary, one line per item, and under each item the
/// checks that are not met (and any check a profile changed), with what was required and measured.
pub fn render(case: &Case, e: &Evaluation) -> String {
    let mut out = String::new();
    let w = &mut out;
    let s = &e.summary;
    let kind = e.community.kind.map_or("unknown".to_owned(), |k| id(&k));
    writeln!(w, "case     {}", case.name).unwrap();
    writeln!(w, "about    {}", case.about).unwrap();
    writeln!(
        w,
        "survey   {} · kind {kind} · standard {} {} · profile {}",
        case.base,
        e.standard.id,
        e.standard.version,
        e.profile.as_ref().map_or("none", |p| p.id.as_str())
    )
    .unwrap();
    writeln!(
        w,
        "verdict  {} · met {} · gap {} · advisory {} · not_applicable {} · not_surveyed {} · gap items {:?}",
        id(&s.verdict),
        s.met,
        s.gaps,
        s.advisory,
        s.not_applicable,
        s.not_surveyed,
        s.gap_items
    )
    .unwrap();
    writeln!(
        w,
        "scale    {} · population {} · unit {}–{}",
        id(&e.scale.status),
        e.scale.population.map_or("-".to_owned(), |p| p.to_string()),
        e.scale.population_min,
        e.scale.population_max
    )
    .unwrap();
    for warning in &e.warnings {
        writeln!(w, "warning  {warning}").unwrap();
    }
    for item in &e.items {
        writeln!(
            w,
            "{:>2} {:<14} {}",
            item.item,
            id(&item.status),
            item.name_zh
        )
        .unwrap();
        for c in &item.checks {
            if c.status != CheckStatus::Met || c.source.from_profile {
                render_check(w, c);
            }
        }
    }
    out
}

fn render_check(w: &mut String, c: &CheckResult) {
    write!(
        w,
        "     {:<26} {:<14} {:<8}",
        c.check,
        id(&c.status),
        id(&c.strength)
    )
    .unwrap();
    if c.required.is_some() || c.measured.is_some() {
        write!(
            w,
            " required {} · measured {}",
            required(&c.required),
            measured(&c.measured)
        )
        .unwrap();
    }
    if c.source.from_profile {
        write!(
            w,
            " · from profile {}",
            c.source.profile.as_deref().unwrap_or("?")
        )
        .unwrap();
    }
    w.truncate(w.trim_end().len());
    w.push('\n');
    for d in &c.details {
        writeln!(w, "         - {}", d.en).unwrap();
    }
}

fn find_check<'a>(e: &'a Evaluation, check: &str) -> Option<&'a CheckResult> {
    e.items
        .iter()
        .flat_map(|i| i.checks.iter())
        .find(|c| c.check == check)
}

fn same_number(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-6 * want.abs().max(1.0)
}

/// Compares an evaluation with a case's `expect`; returns one line per mismatch.
pub fn check_expectations(case: &Case, e: &Evaluation) -> Vec<String> {
    let mut failures = Vec::new();
    for (key, want) in &case.expect {
        let got: Result<Value, String> = (|| {
            match key.as_str() {
                "verdict" => return Ok(Value::String(id(&e.summary.verdict))),
                "scale" => return Ok(Value::String(id(&e.scale.status))),
                "gaps" => return Ok(Value::from(e.summary.gaps)),
                _ => {}
            }
            if let Ok(n) = key.parse::<u8>() {
                let item = e
                    .items
                    .iter()
                    .find(|i| i.item == n)
                    .ok_or_else(|| format!("no item {n}"))?;
                return Ok(Value::String(id(&item.status)));
            }
            let parts: Vec<&str> = key.split('.').collect();
            let (check_id, field) = match parts.as_slice() {
                [_, _] => (key.as_str(), None),
                [a, b, field] => (&key[..a.len() + 1 + b.len()], Some(*field)),
                _ => return Err(format!("unknown expectation key {key:?}")),
            };
            let c = find_check(e, check_id).ok_or_else(|| format!("no check {check_id}"))?;
            Ok(match field {
                None => Value::String(id(&c.status)),
                Some("strength") => Value::String(id(&c.strength)),
                Some("from_profile") => Value::Bool(c.source.from_profile),
                Some("profile") => c.source.profile.clone().map_or(Value::Null, Value::String),
                Some("required") => match &c.required {
                    Some(
                        Requirement::AtLeast { value, .. } | Requirement::AtMost { value, .. },
                    ) => Value::from(*value),
                    other => Value::String(format!("{other:?}")),
                },
                Some("measured") => match &c.measured {
                    Some(Measured::Number { value, .. }) => Value::from(*value),
                    Some(Measured::Yes(b)) => Value::Bool(*b),
                    Some(Measured::Text(t)) => Value::String(t.clone()),
                    None => Value::Null,
                },
                Some(other) => return Err(format!("unknown check field {other:?} in {key:?}")),
            })
        })();
        match got {
            Err(message) => failures.push(format!("{}: {message}", case.name)),
            Ok(got) => {
                let same = match (&got, want) {
                    (Value::Number(g), Value::Number(w)) => same_number(
                        g.as_f64().unwrap_or(f64::NAN),
                        w.as_f64().unwrap_or(f64::NAN),
                    ),
                    _ => &got == want,
                };
                if !same {
                    failures.push(format!("{}: {key} is {got}, expected {want}", case.name));
                }
            }
        }
    }
    failures
}

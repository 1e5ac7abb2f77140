//! spec/records.cddl held to the catalogue: every record type's rule has exactly the
//! catalogue's fields, in order, with their optionality, CDDL type and tier (the comment
//! after each member), and every vocabulary rule exactly its enum's tokens. When a record
//! type or field is added to the catalogue, this test fails until the CDDL says the same; its
//! message prints the rule as the catalogue has it.

use std::collections::BTreeMap;

use super::super::checks::ANALYTE_RESULTS_EXPECTED;
use super::*;

const CDDL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../spec/records.cddl"
));

/// `ReferralSource` → `referral-source`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// The CDDL type of a field of kind `kind`.
fn cddl_type(kind: Kind) -> String {
    match kind {
        Kind::ShortText => "short-text".into(),
        Kind::SummaryText => "summary-text".into(),
        Kind::NoteText => "note-text".into(),
        Kind::Date => "date".into(),
        Kind::Count { min, max, .. } => format!("{min}..{max}"),
        Kind::Timestamp => format!("0..{MAX_TIMESTAMP}"),
        Kind::Bool => "bool".into(),
        Kind::Vocabulary { name, .. } => kebab(name),
        Kind::TextList => "text-list".into(),
        Kind::VocabularyList { name, .. } => format!("[1*{MAX_LIST_ITEMS} {}]", kebab(name)),
        Kind::CodeList => format!("[1*{MAX_LIST_ITEMS} icd10cm]"),
        Kind::AnalyteResults => format!("[0*{MAX_LIST_ITEMS} analyte-result]"),
    }
}

/// One member of a CDDL map rule: optional, name, type, tier (the first word of its comment).
type Member = (bool, String, String, String);

/// The members of record type `rt` as the catalogue declares them.
fn catalogue_members(rt: RecordType) -> Vec<Member> {
    rt.schema()
        .iter()
        .map(|f| {
            let tier = f.tier.as_str().to_owned();
            (!f.required, f.name.to_owned(), cddl_type(f.kind), tier)
        })
        .collect()
}

/// The rule of record type `rt` as the catalogue declares it, in the file's layout.
fn render(rt: RecordType) -> String {
    let mut out = format!("{} = {{\n", rt.as_str().replace('_', "-"));
    for (optional, name, ty, tier) in catalogue_members(rt) {
        let member = format!("  {}{name}: {ty},", if optional { "? " } else { "" });
        out.push_str(&format!("{member:<40}; {tier}\n"));
    }
    out.push('}');
    out
}

/// Every rule of the file: name → its text after `=` (continuation lines joined, comments
/// kept for map rules, dropped for the others).
fn rules() -> BTreeMap<String, Vec<String>> {
    let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in CDDL.lines() {
        let starts_rule = !line.starts_with([' ', ';']) && line.contains(" = ");
        if starts_rule {
            let (name, rest) = line.split_once(" = ").unwrap();
            current = Some(name.trim().to_owned());
            rules.insert(name.trim().to_owned(), vec![rest.to_owned()]);
        } else if line.is_empty() || line.starts_with(';') {
            current = None;
        } else if let Some(name) = &current {
            rules.get_mut(name).unwrap().push(line.to_owned());
        }
    }
    rules
}

/// The members of a map rule's lines.
fn file_members(lines: &[String]) -> Vec<Member> {
    lines
        .iter()
        .filter(|l| l.starts_with("  "))
        .map(|l| {
            let (member, comment) = l.split_once(';').unwrap_or((l, ""));
            let member = member.trim().trim_end_matches(',');
            let (optional, member) = match member.strip_prefix("? ") {
                Some(m) => (true, m),
                None => (false, member),
            };
            let (name, ty) = member.split_once(':').unwrap();
            let tier = comment.split_whitespace().next().unwrap_or("").to_owned();
            (optional, name.trim().to_owned(), ty.trim().to_owned(), tier)
        })
        .collect()
}

/// The quoted tokens of a choice rule.
fn tokens(lines: &[String]) -> Vec<String> {
    let text = lines.join(" ");
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The record types of the specification (the unit tests' own type is not one).
fn specified() -> impl Iterator<Item = RecordType> {
    RecordType::ALL
        .into_iter()
        .filter(|t| *t != RecordType::TestOnlyNote)
}

#[test]
fn every_record_rule_matches_the_catalogue() {
    let rules = rules();
    for rt in specified() {
        let name = rt.as_str().replace('_', "-");
        let lines = rules.get(&name).unwrap_or_else(|| {
            panic!(
                "spec/records.cddl has no rule `{name}`; add:\n{}",
                render(rt)
            )
        });
        assert_eq!(
            file_members(lines),
            catalogue_members(rt),
            "spec/records.cddl `{name}` differs from the catalogue, which says:\n{}",
            render(rt)
        );
    }
    let choice: Vec<String> = rules["record"]
        .join(" ")
        .split('/')
        .map(|t| t.trim().to_owned())
        .collect();
    let types: Vec<String> = specified().map(|t| t.as_str().replace('_', "-")).collect();
    assert_eq!(
        choice, types,
        "the `record` choice lists every record type in order"
    );
}

#[test]
fn every_vocabulary_rule_matches_its_enum() {
    let rules = rules();
    let mut vocabularies: BTreeMap<&str, &[&str]> = BTreeMap::new();
    vocabularies.insert(TestResult::NAME, TestResult::TOKENS);
    for rt in specified() {
        for f in rt.schema() {
            if let Kind::Vocabulary { name, tokens, .. }
            | Kind::VocabularyList { name, tokens, .. } = f.kind
            {
                vocabularies.insert(name, tokens);
            }
        }
    }
    assert_eq!(
        vocabularies.len(),
        18,
        "every vocabulary is used by a field"
    );
    for (name, expected) in vocabularies {
        let rule = kebab(name);
        let lines = rules
            .get(&rule)
            .unwrap_or_else(|| panic!("spec/records.cddl has no rule `{rule}`"));
        assert_eq!(tokens(lines), expected, "spec/records.cddl `{rule}`");
    }
}

#[test]
fn value_types_match_the_limits() {
    let rules = rules();
    let rule = |name: &str| rules[name].join(" ");
    assert_eq!(
        rule("short-text"),
        format!("tstr .size (1..{MAX_SHORT_TEXT})")
    );
    assert_eq!(
        rule("summary-text"),
        format!("tstr .size (1..{MAX_SUMMARY_TEXT})")
    );
    assert_eq!(
        rule("note-text"),
        format!("tstr .size (1..{MAX_NOTE_TEXT})")
    );
    assert_eq!(
        rule("text-list"),
        format!("[1*{MAX_LIST_ITEMS} short-text]")
    );
    assert_eq!(
        file_members(&rules["analyte-result"]),
        [
            (
                false,
                "analyte".into(),
                "short-text".into(),
                "unique".into()
            ),
            (false, "result".into(), "test-result".into(), String::new()),
        ]
    );
    assert!(ANALYTE_RESULTS_EXPECTED.contains("{analyte: text, result: test result}"));
}

#[test]
fn kebab_case_of_enum_names() {
    assert_eq!(kebab("ReferralSource"), "referral-source");
    assert_eq!(kebab("Moud"), "moud");
    assert_eq!(kebab("CourtEventKind"), "court-event-kind");
}

//! Every language is complete: each key the code uses exists in every locale, no locale has a
//! key nothing uses, and every message formats with the arguments the code gives.

use super::common::catalog;
use integra::core::{Lang, QueueError};
use integra::i18n::{Localizer, message_ids, sources};
use std::collections::BTreeSet;
use std::path::Path;

/// The text of every file the program is made of that can name a message: Rust, Slint, and the
/// staff pages' HTML and scripts.
fn program_sources() -> String {
    fn walk(dir: &Path, out: &mut String) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .extension()
                .is_some_and(|x| ["rs", "slint", "js", "html"].contains(&x.to_str().unwrap_or("")))
            {
                out.push_str(&std::fs::read_to_string(&p).expect("a source file"));
                out.push('\n');
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    for dir in ["src", "ui", "assets"] {
        walk(&root.join(dir), &mut text);
    }
    text
}

/// The message ids the program uses: every id defined in some locale that the sources name as a
/// whole quoted literal ("kiosk-welcome", 'console-call', `…`). Ids are never assembled from
/// pieces, so that this scan sees them all.
fn used_ids(defined: &BTreeSet<String>) -> BTreeSet<String> {
    let text = program_sources();
    let mut literals = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let q = bytes[i];
        if q == b'"' || q == b'\'' || q == b'`' {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len()
                && (bytes[j].is_ascii_lowercase()
                    || bytes[j].is_ascii_digit()
                    || bytes[j] == b'-'
                    || bytes[j] == b'_')
            {
                j += 1;
            }
            if j > start && j < bytes.len() && bytes[j] == q {
                literals.insert(text[start..j].to_string());
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    defined.intersection(&literals).cloned().collect()
}

fn keys(lang: Lang) -> BTreeSet<String> {
    sources(lang)
        .iter()
        .flat_map(|(_, text)| message_ids(text))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_locale_has_exactly_the_keys_the_code_uses() {
    let defined: BTreeSet<String> = Lang::ALL.iter().flat_map(|l| keys(*l)).collect();
    let used = used_ids(&defined);
    assert!(
        used.len() > 300,
        "the source scan found only {} ids",
        used.len()
    );
    for lang in Lang::ALL {
        let have = keys(lang);
        let missing: Vec<_> = used.difference(&have).collect();
        let unused: Vec<_> = have.difference(&used).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(
            unused.is_empty(),
            "{lang} has keys nothing uses: {unused:?}"
        );
        let l = Localizer::new(lang).expect("locale loads");
        for id in &used {
            assert!(l.has(id), "{lang}: {id} does not parse");
        }
    }
}

#[test]
fn errors_read_in_the_visitors_language() {
    let c = catalog();
    let closed = QueueError::ServiceClosed("legal".into());
    let cases = [
        (Lang::Es, "Legal está cerrado ahora"),
        (Lang::En, "Legal is closed now"),
        (Lang::Pt, "Legal está fechado agora"),
        (Lang::Fr, "Legal est fermé maintenant"),
        (Lang::Ht, "Legal fèmen kounye a"),
    ];
    for (lang, expected) in cases {
        let text = Localizer::new(lang).expect("loads").error(&closed, &c);
        assert!(text.starts_with(expected), "{lang}: {text}");
    }
    let far = QueueError::TooFarAhead(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("d"), 14);
    assert_eq!(
        Localizer::new(Lang::Ht).expect("loads").error(&far, &c),
        "Ou ka pran randevou jiska 14 jou davans."
    );
}

#[test]
fn translations_are_not_copies_of_another_language() {
    // Haitian Creole and Portuguese are real translations: no message equals its es/en/fr one.
    for lang in [Lang::Ht, Lang::Pt] {
        let l = Localizer::new(lang).expect("loads");
        for other in [Lang::Es, Lang::En, Lang::Fr] {
            let o = Localizer::new(other).expect("loads");
            for id in QueueError::FLUENT_IDS {
                assert_ne!(
                    l.text(id, None),
                    o.text(id, None),
                    "{lang} {id} copies {other}"
                );
            }
        }
    }
}

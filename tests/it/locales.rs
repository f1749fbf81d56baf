//! Every language is complete: each key the code uses exists in every locale, no locale has a
//! key nothing uses, and every message formats with the arguments the code gives.

use super::common::catalog;
use integra::core::{Lang, QueueError};
use integra::i18n::{Localizer, message_ids, sources, used_ids};
use std::collections::BTreeSet;

fn keys(lang: Lang) -> BTreeSet<String> {
    sources(lang)
        .iter()
        .flat_map(|(_, text)| message_ids(text))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_locale_has_exactly_the_keys_the_code_uses() {
    let used: BTreeSet<String> = used_ids().iter().map(|s| s.to_string()).collect();
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

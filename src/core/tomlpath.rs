//! Reading TOML files so that every error names the file, the line and the field: parse
//! errors from their span, semantic problems from the path of the field they concern.

use super::catalog::CatalogIssue;
use serde::de::DeserializeOwned;

/// Deserialize a TOML document; a syntax or type error names the line and shows its text.
pub fn from_toml<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, CatalogIssue> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        let mut message = e.message().trim().to_string();
        if let Some(src) = line.and_then(|l| text.lines().nth(l - 1)) {
            let src: String = src.trim().chars().take(80).collect();
            message.push_str(&format!(" — in: {src}"));
        }
        CatalogIssue {
            origin: origin.to_string(),
            line,
            field: String::new(),
            message,
        }
    })
}

/// Turn (path, message) problems into located issues.
pub fn locate_all(
    text: &str,
    origin: &str,
    problems: Vec<(Vec<Seg>, String)>,
) -> Vec<CatalogIssue> {
    problems
        .into_iter()
        .map(|(path, message)| CatalogIssue {
            origin: origin.to_string(),
            line: locate(text, &path),
            field: path_string(&path),
            message,
        })
        .collect()
}

/// A path segment inside the TOML document.
#[derive(Debug, Clone)]
pub enum Seg {
    Key(&'static str),
    Name(String),
    Index(usize),
}

pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Name(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// Find the line of a path in the document (the deepest part of the path that exists).
pub fn locate(text: &str, path: &[Seg]) -> Option<usize> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut span = doc.span();
    let mut table = Some(doc.get_ref());
    let mut value: Option<&toml::de::DeValue> = None;
    for seg in path {
        let next = match (seg, table, value) {
            (Seg::Key(k), Some(t), _) => t.get(*k),
            (Seg::Name(k), Some(t), _) => t.get(k.as_str()),
            (Seg::Index(i), _, Some(toml::de::DeValue::Array(a))) => a.get(*i),
            _ => None,
        };
        let Some(next) = next else { break };
        span = next.span();
        value = Some(next.get_ref());
        table = next.get_ref().as_table();
    }
    Some(line_of(text, span.start))
}

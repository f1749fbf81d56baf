//! Text → printer bytes through a code page the printer has, selected with `ESC t n`.
//! Characters the page lacks are transliterated ("ã" → "a", "…" → "..."), never sent as UTF-8.

use super::tables;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodePage {
    Cp437,
    Cp850,
    Cp858,
    Cp860,
    Cp863,
    Cp1252,
}

impl CodePage {
    pub const ALL: [CodePage; 6] = [
        CodePage::Cp437,
        CodePage::Cp850,
        CodePage::Cp858,
        CodePage::Cp860,
        CodePage::Cp863,
        CodePage::Cp1252,
    ];

    /// The page every printer setting starts from: PC858 (PC850 with €) has every letter of
    /// es, pt, fr and ht, and « », ¿ ¡.
    pub const DEFAULT: CodePage = CodePage::Cp858;

    pub fn name(self) -> &'static str {
        match self {
            CodePage::Cp437 => "cp437",
            CodePage::Cp850 => "cp850",
            CodePage::Cp858 => "cp858",
            CodePage::Cp860 => "cp860",
            CodePage::Cp863 => "cp863",
            CodePage::Cp1252 => "cp1252",
        }
    }

    /// The `n` of `ESC t n` on Epson-compatible printers (a setting can override it).
    pub fn epson_number(self) -> u8 {
        match self {
            CodePage::Cp437 => 0,
            CodePage::Cp850 => 2,
            CodePage::Cp860 => 3,
            CodePage::Cp863 => 4,
            CodePage::Cp1252 => 16,
            CodePage::Cp858 => 19,
        }
    }

    /// Bytes 0x80..=0xFF of the page (`'\0'` = unassigned).
    pub fn upper_half(self) -> &'static [char; 128] {
        match self {
            CodePage::Cp437 => &tables::PC437,
            CodePage::Cp850 => &tables::PC850,
            CodePage::Cp858 => &tables::PC858,
            CodePage::Cp860 => &tables::PC860,
            CodePage::Cp863 => &tables::PC863,
            CodePage::Cp1252 => &tables::WPC1252,
        }
    }

    /// The byte for a character, if the page has it.
    pub fn byte_of(self, c: char) -> Option<u8> {
        if (' '..='~').contains(&c) || c == '\n' {
            return Some(c as u8);
        }
        if c == '\0' {
            return None;
        }
        self.upper_half()
            .iter()
            .position(|x| *x == c)
            .map(|i| 0x80 + i as u8)
    }

    /// The character a byte stands for (used by the test decoder).
    pub fn char_of(self, b: u8) -> Option<char> {
        match b {
            b'\n' | 0x20..=0x7E => Some(b as char),
            0x80..=0xFF => Some(self.upper_half()[usize::from(b - 0x80)]).filter(|c| *c != '\0'),
            _ => None,
        }
    }

    /// Encode text: each character through the page, or transliterated, or `?`.
    pub fn encode(self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        for c in text.chars() {
            if let Some(b) = self.byte_of(c) {
                out.push(b);
                continue;
            }
            let subst = transliterate(c);
            let mut any = false;
            for s in subst.chars() {
                if let Some(b) = self.byte_of(s) {
                    out.push(b);
                    any = true;
                }
            }
            if !any {
                out.push(b'?');
            }
        }
        out
    }

    /// The text as it will print (after transliteration), for layout width checks.
    pub fn printable(self, text: &str) -> String {
        self.encode(text)
            .iter()
            .map(|b| self.char_of(*b).unwrap_or('?'))
            .collect()
    }
}

impl fmt::Display for CodePage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A code page this program cannot print with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown code page '{0}': expected one of cp437, cp850, cp858, cp860, cp863, cp1252")]
pub struct UnknownCodePage(pub String);

impl FromStr for CodePage {
    type Err = UnknownCodePage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase().replace(['-', '_'], "");
        let s = s.strip_prefix("pc").map(|r| format!("cp{r}")).unwrap_or(s);
        let s = s.strip_prefix("wpc").map(|r| format!("cp{r}")).unwrap_or(s);
        CodePage::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or(UnknownCodePage(s))
    }
}

/// A plain stand-in for a character a code page lacks.
pub fn transliterate(c: char) -> &'static str {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'ç' | 'ć' | 'č' => "c",
        'Ç' | 'Ć' | 'Č' => "C",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'Į' => "I",
        'ñ' | 'ń' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => "O",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'œ' => "oe",
        'Œ' => "OE",
        'æ' => "ae",
        'Æ' => "AE",
        'ß' => "ss",
        '«' | '»' | '“' | '”' | '„' => "\"",
        '‘' | '’' | '‚' | 'ʼ' => "'",
        '–' | '—' | '‐' | '−' => "-",
        '…' => "...",
        '€' => "EUR",
        '¿' => "?",
        '¡' => "!",
        '·' | '•' => "*",
        '\u{a0}' | '\u{202f}' | '\t' => " ",
        'º' | '°' => "o",
        'ª' => "a",
        _ => "?",
    }
}

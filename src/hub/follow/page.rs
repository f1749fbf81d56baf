use super::*;

// ---------------------------------------------------------------- the page

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The page around a body: one small inline style, nothing fetched but the page's own script.
pub(super) fn shell(w: &Words, lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style>{}</style></head><body>{}<p class=langs aria-label=\"{}\">{}</p></body></html>",
        lang.code(),
        esc(title),
        include_str!("../../../assets/follow/follow.css"),
        body,
        esc(&w.t("follow-language")),
        langs(lang),
    )
}

pub(super) fn langs(current: Lang) -> String {
    Lang::ALL
        .iter()
        .map(|l| {
            if *l == current {
                format!("<b>{}</b>", esc(l.native_name()))
            } else {
                format!(
                    "<a href=\"?lang={}\">{}</a>",
                    l.code(),
                    esc(l.native_name())
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(super) fn render(w: &Words, token: &str, v: &Value, lang: Lang, ask_cancel: bool) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let mut out = String::new();
    match v["kind"].as_str() {
        Some("ticket") => {
            let state = s("state");
            out.push_str(&format!(
                "<main id=follow data-token=\"{}\" data-lang=\"{}\" data-version=\"{}\" data-state=\"{}\" class=\"state-{}\">",
                esc(token),
                lang.code(),
                esc(&s("version")),
                esc(&state),
                esc(&state)
            ));
            out.push_str(&format!(
                "<p class=center>{}</p><p class=label-caption>{}</p><p class=number id=number>{}</p>",
                esc(&s("center")),
                esc(&w.t("follow-number")),
                esc(&s("label"))
            ));
            if let Some(service) = v["service"].as_str() {
                out.push_str(&format!("<p class=service>{}</p>", esc(service)));
            }
            out.push_str(&format!(
                "<h1 id=headline aria-live=assertive>{}</h1><p class=detail id=detail aria-live=polite>{}</p>",
                esc(&s("headline")),
                esc(&s("detail"))
            ));
            out.push_str(&format!(
                "<button id=sound type=button hidden>{}</button>",
                esc(&w.t("follow-sound"))
            ));
            let open = v["feedback"] == "open";
            out.push_str(&format!(
                "<form id=feedback method=post action=\"/f/{}/feedback\"{}><fieldset class=faces><legend>{}</legend>",
                esc(token),
                if open { "" } else { " hidden" },
                esc(&w.t("follow-question"))
            ));
            for (n, face, id) in [
                (1, "☹", "follow-face-1"),
                (2, "😐", "follow-face-2"),
                (3, "☺", "follow-face-3"),
            ] {
                out.push_str(&format!(
                    "<label class=face><input type=radio name=rating value={n} required><span aria-hidden=true>{face}</span><span class=face-name>{}</span></label>",
                    esc(&w.t(id))
                ));
            }
            out.push_str("</fieldset><fieldset class=ticks>");
            for (k, id) in [
                ("waited_too_long", "follow-waited-too-long"),
                ("not_understood", "follow-not-understood"),
                ("got_what_needed", "follow-got-what-needed"),
            ] {
                out.push_str(&format!(
                    "<label><input type=checkbox name={k} value=1> {}</label>",
                    esc(&w.t(id))
                ));
            }
            out.push_str(&format!(
                "</fieldset><button type=submit>{}</button></form>",
                esc(&w.t("follow-send"))
            ));
            out.push_str("</main><script src=\"/f/follow.js\"></script>");
        }
        _ => {
            out.push_str(&format!(
                "<main class=\"booking state-{}\"><p class=center>{}</p><h1>{}</h1><p class=detail>{}</p><dl>",
                esc(&s("state")),
                esc(&s("center")),
                esc(&s("headline")),
                esc(&s("detail"))
            ));
            out.push_str(&format!(
                "<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>",
                esc(&w.t("follow-when-label")),
                esc(&s("when")),
                esc(&w.t("follow-place")),
                esc(&s("place"))
            ));
            if let Some(b) = v["bring"].as_str() {
                out.push_str(&format!(
                    "<dt>{}</dt><dd>{}</dd>",
                    esc(&w.t("follow-bring")),
                    esc(b)
                ));
            }
            out.push_str("</dl>");
            if v["cancellable"] == true {
                if ask_cancel {
                    out.push_str(&format!(
                        "<form method=post action=\"/f/{}/cancel\" class=confirm><p>{}</p><button type=submit class=danger>{}</button> <a class=button href=\"/f/{}?lang={}\">{}</a></form>",
                        esc(token),
                        esc(&w.t("follow-cancel-confirm")),
                        esc(&w.t("follow-cancel-yes")),
                        esc(token),
                        lang.code(),
                        esc(&w.t("follow-cancel-no"))
                    ));
                } else {
                    out.push_str(&format!(
                        "<p><a class=\"button secondary\" href=\"/f/{}?ask=cancel&amp;lang={}\">{}</a></p>",
                        esc(token),
                        lang.code(),
                        esc(&w.t("follow-cancel"))
                    ));
                }
            }
            out.push_str("</main>");
        }
    }
    out
}

//! The HTML encoding of the OGC API answers (/conf/html): a plain page per
//! answer — its title, its links as anchors, a collection list or a feature
//! table (id and properties; geometry type only) — everything escaped. No
//! script, no style sheet from elsewhere.

use axum::response::Html;
use serde_json::Value;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn links(v: &Value) -> String {
    let items: Vec<String> = v["links"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            format!(
                "<li><a href=\"{}\">{}</a> <small>({} · {})</small></li>",
                esc(&text(&l["href"])),
                esc(&text(&l["title"])),
                esc(&text(&l["rel"])),
                esc(&text(&l["type"]))
            )
        })
        .collect();
    if items.is_empty() { String::new() } else { format!("<h2>Links</h2><ul>{}</ul>", items.join("")) }
}

fn feature_table(features: &[Value]) -> String {
    let mut keys: Vec<String> = Vec::new();
    for f in features {
        for k in f["properties"].as_object().into_iter().flat_map(|m| m.keys()) {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let head: String = keys.iter().map(|k| format!("<th>{}</th>", esc(k))).collect();
    let rows: String = features
        .iter()
        .map(|f| {
            let cells: String = keys.iter().map(|k| format!("<td>{}</td>", esc(&text(&f["properties"][k])))).collect();
            format!("<tr><td>{}</td>{cells}</tr>", esc(&text(&f["geometry"]["type"])))
        })
        .collect();
    format!("<table border=\"1\" cellpadding=\"3\"><tr><th>geometry</th>{head}</tr>{rows}</table>")
}

/// The page of an answer `v` titled `title`.
pub(crate) fn page(title: &str, v: &Value) -> Html<String> {
    let mut body = String::new();
    if let Some(d) = v["description"].as_str() {
        body.push_str(&format!("<p>{}</p>", esc(d)));
    }
    if let Some(c) = v["conformsTo"].as_array() {
        let li: String = c.iter().map(|x| format!("<li>{}</li>", esc(&text(x)))).collect();
        body.push_str(&format!("<h2>Conforms to</h2><ul>{li}</ul>"));
    }
    if let Some(cs) = v["collections"].as_array() {
        let li: String = cs
            .iter()
            .map(|c| {
                format!(
                    "<li><a href=\"collections/{}?f=html\">{}</a> — {}</li>",
                    esc(&text(&c["id"])),
                    esc(&text(&c["title"])),
                    esc(&text(&c["description"]))
                )
            })
            .collect();
        body.push_str(&format!("<h2>Collections</h2><ul>{li}</ul>"));
    }
    if let Some(b) = v["extent"]["spatial"]["bbox"][0].as_array() {
        body.push_str(&format!("<p>Extent (CRS84): {}</p>", esc(&b.iter().map(text).collect::<Vec<_>>().join(", "))));
    }
    if let Some(fs) = v["features"].as_array() {
        body.push_str(&format!(
            "<p>{} of {} features.</p>{}",
            esc(&text(&v["numberReturned"])),
            esc(&text(&v["numberMatched"])),
            feature_table(fs)
        ));
    } else if v["type"] == "Feature" {
        body.push_str(&feature_table(std::slice::from_ref(v)));
    }
    body.push_str(&links(v));
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head><body><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    ))
}

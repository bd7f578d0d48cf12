//! `Accept-Encoding` negotiation for the pre-gzipped tiles (RFC 9110 §12.5.3):
//! gzip only when the client accepts it with q > 0, by name (`gzip`, `x-gzip`)
//! or by `*` when gzip is not named; otherwise the body goes unencoded — also
//! when `identity` is refused, since we have nothing else to offer (the RFC's
//! "SHOULD send a response without any content coding").

/// How a tile body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileEncoding {
    Gzip,
    Identity,
}

/// The encoding for a request's `Accept-Encoding` value (`None`: no header, sent unencoded as before).
pub fn negotiate(accept: Option<&str>) -> TileEncoding {
    let Some(accept) = accept else { return TileEncoding::Identity };
    let (mut gzip, mut star): (Option<f32>, Option<f32>) = (None, None);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        for p in parts {
            let p = p.trim();
            if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                // an unreadable weight refuses the coding rather than guessing
                q = v.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)).unwrap_or(0.0);
            }
        }
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(gzip.map_or(q, |g: f32| g.max(q))),
            "*" => star = Some(q),
            _ => {}
        }
    }
    match gzip.or(star) {
        Some(q) if q > 0.0 => TileEncoding::Gzip,
        _ => TileEncoding::Identity,
    }
}

#[cfg(test)]
mod tests {
    use super::TileEncoding::{Gzip, Identity};
    use super::negotiate;

    #[test]
    fn gzip_only_when_accepted_with_a_positive_weight() {
        assert_eq!(negotiate(None), Identity);
        assert_eq!(negotiate(Some("")), Identity);
        assert_eq!(negotiate(Some("gzip, br")), Gzip);
        assert_eq!(negotiate(Some("br;q=1.0, gzip;q=0.8, *;q=0.1")), Gzip);
        assert_eq!(negotiate(Some("GZIP")), Gzip);
        assert_eq!(negotiate(Some("x-gzip")), Gzip);
        assert_eq!(negotiate(Some("gzip;q=0")), Identity);
        assert_eq!(negotiate(Some("gzip; q=0.000")), Identity);
        assert_eq!(negotiate(Some("gzip;q=0, *")), Identity, "gzip named and refused; * does not override it");
        assert_eq!(negotiate(Some("*")), Gzip);
        assert_eq!(negotiate(Some("*;q=0")), Identity);
        assert_eq!(negotiate(Some("br, deflate")), Identity);
        assert_eq!(negotiate(Some("gzip;q=nonsense")), Identity);
        // identity refused: gzip when acceptable, else unencoded all the same
        assert_eq!(negotiate(Some("identity;q=0, gzip")), Gzip);
        assert_eq!(negotiate(Some("identity;q=0, gzip;q=0")), Identity);
        assert_eq!(negotiate(Some("identity;q=0")), Identity);
    }
}

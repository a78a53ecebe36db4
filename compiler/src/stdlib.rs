//! The standard library, written in the language and embedded under `<std>/NAME.pipe`.

/// `(module name, source)`; `prelude` is imported into every module implicitly.
pub const MODULES: &[(&str, &str)] = &[
    ("prelude", include_str!("../../stdlib/prelude.pipe")),
    ("rewards", include_str!("../../stdlib/rewards.pipe")),
    ("swe", include_str!("../../stdlib/swe.pipe")),
    ("metrics", include_str!("../../stdlib/metrics.pipe")),
    ("retrieval", include_str!("../../stdlib/retrieval.pipe")),
    ("kalm", include_str!("../../stdlib/kalm.pipe")),
    ("prefs", include_str!("../../stdlib/prefs.pipe")),
];

pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

pub fn path(name: &str) -> String {
    format!("<std>/{name}.pipe")
}

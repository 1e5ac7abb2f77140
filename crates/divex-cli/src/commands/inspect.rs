//! `divex inspect`: what a divex file is, without a key. Recognition and rendering are the
//! library's (`divex_core::inspect`, which knows every header label); this prints them.

use divex_core::inspect::{self, InspectError};
use divex_core::vocab::Vocabulary;
use serde_json::json;

use super::Ctx;
use crate::cli::InspectArgs;
use crate::error::CliError;
use crate::support::{Lines, Report, read_file};

/// Largest file `inspect` reads: an envelope at the largest size a recipient may allow, and
/// room for anything smaller (the library refuses larger ones as not a divex file).
const MAX_INSPECT_BYTES: usize = 16 * 1024 * 1024 + 4096;

pub(super) fn inspect_cmd(ctx: &Ctx, a: &InspectArgs) -> Result<Report, CliError> {
    let bytes = read_file(&a.file, "the file to inspect", MAX_INSPECT_BYTES)?;
    // The home's directory, if there is one, names recipients and checks certificates.
    let dir = if ctx.home.directory_file().exists() {
        ctx.directory().ok()
    } else {
        None
    };
    let i = inspect::inspect(&bytes, dir.as_ref(), ctx.now).map_err(|e| match e {
        InspectError::InvalidEnvelope { .. } => CliError::library(&e, e.to_string()),
        // Not a divex file: the input is wrong, as with a malformed TOML or JSON file.
        _ => CliError::library(&e, format!("the file is not valid: {e}")),
    })?;
    let mut l = Lines::new();
    l.add("kind", i.kind.as_str().replace('_', " "));
    for (k, v) in &i.summary {
        l.add(k, v);
    }
    let summary: serde_json::Map<String, serde_json::Value> =
        i.summary
            .iter()
            .fold(serde_json::Map::new(), |mut m, (k, v)| {
                // Repeated keys (several recipients) become arrays.
                match m.get_mut(k) {
                    Some(serde_json::Value::Array(a)) => a.push(json!(v)),
                    Some(old) => *old = json!([old.clone(), v]),
                    None => {
                        m.insert(k.clone(), json!(v));
                    }
                }
                m
            });
    Ok(Report::new(
        format!("{}\n{}\n", l.render(), i.diagnostic),
        json!({"kind": i.kind.as_str(), "summary": summary, "diagnostic": i.diagnostic}),
    ))
}

//! `divex inspect`: what a divex file is, without a key (the structure is in `crate::inspect`).

use serde_json::json;

use super::Ctx;
use crate::cli::InspectArgs;
use crate::error::CliError;
use crate::inspect::{self, MAX_INSPECT_BYTES};
use crate::support::{Lines, Report, load_directory, read_file};

pub(super) fn inspect_cmd(ctx: &Ctx, a: &InspectArgs) -> Result<Report, CliError> {
    let bytes = read_file(&a.file, "the file to inspect", MAX_INSPECT_BYTES)?;
    // The home's directory, if there is one, names recipients and checks certificates.
    let dir = if ctx.home.directory_file().exists() {
        load_directory(&ctx.home).ok()
    } else {
        None
    };
    let i = inspect::inspect(&bytes, dir.as_ref(), ctx.now)?;
    let mut l = Lines::new();
    l.add("kind", i.kind.replace('_', " "));
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
        json!({"kind": i.kind, "summary": summary, "diagnostic": i.diagnostic}),
    ))
}

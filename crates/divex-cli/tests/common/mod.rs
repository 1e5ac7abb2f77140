//! Shared helpers of the CLI tests: running the built `divex` binary, snapshots of a home, and
//! the certified world every test starts from.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use divex_fixtures::{DAY, T0};

pub const PASS: &str = "correct horse battery";
/// The fixtures' participant and purpose (`divex_fixtures::subject`, `CJ_PURPOSE`), as the
/// command line takes them; the consent itself comes from the CLI's
/// `examples/consent-pc1000.toml`.
pub const SUBJECT: &str = "Jordan Avery Reyes";
pub const DOB: &str = "1994-03-14";
pub const PURPOSE: &str = "cj-monitor-conditional-release";

pub const EXIT_USAGE: i32 = 2;
pub const EXIT_REFUSED: i32 = 3;
pub const EXIT_PASSPHRASE: i32 = 4;
pub const EXIT_IO: i32 = 5;
pub const EXIT_FAILURE: i32 = 1;

/// Replaces the value after `flag` in an argument list.
pub fn set<'a>(args: &mut [&'a str], flag: &str, value: &'a str) {
    let i = args.iter().position(|a| *a == flag).expect("flag present");
    args[i + 1] = value;
}

pub fn example_toml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/consent-pc1000.toml")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn fails(self, code: i32, needle: &str) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        assert!(
            self.stderr.contains("error:"),
            "no error line:\n{}",
            self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }

    /// With `--json`: the error object's category, code and exit code on standard error.
    pub fn error_code(&self) -> (serde_json::Value, String, i32) {
        let v: serde_json::Value = serde_json::from_str(self.stderr.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stderr));
        let e = &v["error"];
        assert_eq!(e["exit_code"], self.code, "{v}");
        (
            e["category"].clone(),
            e["code"].as_str().unwrap_or_default().to_owned(),
            self.code,
        )
    }
}

pub fn run_in(home: &Path, now: u64, pass: &str, args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_divex"))
        .arg("--home")
        .arg(home)
        .arg("--now")
        .arg(now.to_string())
        .args(args)
        .env("DIVEX_PASSPHRASE", pass)
        .env("DIVEX_KDF", "fast")
        // `--now` is a test mode (spec/consent.md §8.3): refused without it.
        .env("DIVEX_TEST_CLOCK", "1")
        .env_remove("DIVEX_HOME")
        .output()
        .expect("run divex");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file under `root` with its bytes (SQLite's transient -wal/-shm files excluded).
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    pub fn walk(p: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                let name = path.to_string_lossy();
                if !name.ends_with("-wal") && !name.ends_with("-shm") {
                    out.insert(path.clone(), std::fs::read(&path).unwrap());
                }
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(root, &mut m);
    m
}

pub fn assert_unchanged(before: &BTreeMap<PathBuf, Vec<u8>>, root: &Path) {
    let after = snapshot(root);
    let b: Vec<_> = before.keys().collect();
    let a: Vec<_> = after.keys().collect();
    assert_eq!(b, a, "files were added or removed");
    for (k, v) in before {
        assert!(after[k] == *v, "{} changed", k.display());
    }
}

/// A home with a trust anchor, four certified agencies, a participant key and the PC 1000
/// consent witnessed by the treatment provider.
pub struct World {
    pub _tmp: tempfile::TempDir,
    pub home: PathBuf,
    pub dir: PathBuf,
}

pub const AGENCIES: [(&str, &str, &str, bool); 4] = [
    (
        "treatment-provider",
        "County Treatment Program",
        "treatment_provider",
        true,
    ),
    ("superior-court", "Superior Court", "court", false),
    (
        "district-attorney",
        "District Attorney",
        "prosecutor",
        false,
    ),
    ("probation", "County Probation", "probation", false),
];

impl World {
    pub fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let dir = tmp.path().to_path_buf();
        let w = World {
            _tmp: tmp,
            home,
            dir,
        };
        w.run(&[
            "anchor",
            "create",
            "--name",
            "county",
            "--display-name",
            "County Justice IT",
        ])
        .ok();
        for (id, name, role, part2) in AGENCIES {
            w.run(&["init", "--agency", id]).ok();
            let nb = (T0 - 90 * DAY).to_string();
            let mut args = vec![
                "anchor",
                "issue",
                "--name",
                "county",
                "--agency",
                id,
                "--agency-name",
                name,
                "--role",
                role,
                "--from-keystore",
                id,
                "--days",
                "365",
                "--not-before",
                &nb,
            ];
            if part2 {
                args.push("--part2");
            }
            w.run(&args).ok();
        }
        let key = w.path("patient.key");
        w.run(&[
            "consent",
            "patient-key",
            "--out",
            key.to_str().unwrap(),
            "--label",
            SUBJECT,
        ])
        .ok();
        w.run(&[
            "consent",
            "create",
            "--from",
            example_toml().to_str().unwrap(),
            "--agency",
            "treatment-provider",
            "--patient-key",
            key.to_str().unwrap(),
        ])
        .ok();
        std::fs::write(
            w.path("drug-test.json"),
            format!(
                r#"{{"collected_at": {}, "specimen": "urine", "observed": true, "panel": "10-panel",
                    "results": [{{"analyte": "fentanyl", "result": "negative"}}],
                    "confirmation": "not_required"}}"#,
                T0 - DAY
            ),
        )
        .unwrap();
        w
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_in(&self.home, T0, PASS, args)
    }

    pub fn run_at(&self, now: u64, args: &[&str]) -> Run {
        run_in(&self.home, now, PASS, args)
    }

    pub fn consent_file(&self) -> PathBuf {
        self.home
            .join("agencies/treatment-provider/consents/c-pc1000-0001.consent.cose")
    }

    pub fn seal_args<'a>(&'a self, record: &'a str, to: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec!["seal", "--agency", "treatment-provider"];
        for t in to {
            v.push("--to");
            v.push(t);
        }
        v.extend([
            "--consent",
            "c-pc1000-0001",
            "--purpose",
            PURPOSE,
            "--record-type",
            "drug_test",
            "--record",
            record,
            "--subject-name",
            SUBJECT,
            "--subject-dob",
            DOB,
        ]);
        v
    }

    /// Seals the drug test to `to`; returns the envelope path.
    pub fn seal(&self, to: &[&str]) -> PathBuf {
        let record = self.path("drug-test.json");
        let r = self
            .run(&[self.seal_args(record.to_str().unwrap(), to), vec!["--json"]].concat())
            .ok();
        PathBuf::from(r.json()["envelope"].as_str().unwrap())
    }
}

//! Issue 12 case 5, end to end: fifty runs against one workspace, killed at pseudo-random
//! moments, some failing their gates, some on a full disk, and the workspace's audit log still
//! verifies and agrees with the registry; an edited entry is then found.
//!
//! The full disk is real: the workspace lives on a small tmpfs mounted for the test (this needs
//! root, as CI and the development machines have; without it the test fails, it never skips).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{dataset, stderr, stdout};

/// A tmpfs mounted at a folder for the test's lifetime.
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).expect("mount point");
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .expect("mount runs");
        assert!(
            output.status.success(),
            "this test mounts a small tmpfs to fill the disk for real, which needs root: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Tmpfs {
            at: at.to_path_buf(),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.at).status();
    }
}

/// Fill the file system holding `dir` with `filler`, then free `leave` bytes of it.
fn fill(dir: &Path, filler: &Path, leave: u64) {
    use std::io::Write;
    let mut file = std::fs::File::create(filler).expect("filler");
    let block = vec![0u8; 4096];
    while file.write_all(&block).is_ok() {}
    let _ = file.flush();
    let length = std::fs::metadata(filler).expect("meta").len();
    file.set_len(length.saturating_sub(leave))
        .expect("free some");
    assert!(dir.exists());
}

/// A deterministic pseudo-random sequence (a 64-bit LCG), so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

fn spec(dir: &Path, name: &str, gate: &str) -> PathBuf {
    let text = format!(
        "[release]\nname = \"{name}\"\n\n[source]\npath = {:?}\nna = [\"?\"]\n\n\
         [evaluation]\nresamples = 10\n\n[[policy.gates]]\nmetric = \"fidelity.column_shapes\"\n\
         {gate}\n",
        dataset("heart_cleveland").display().to_string()
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("spec");
    path
}

#[test]
fn fifty_interrupted_runs_leave_a_log_that_verifies() {
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path();
    let disk = Tmpfs::mount(&root.join("disk"), "4m");
    let home = disk.at.join("home");
    let filler = disk.at.join("filler");
    let passing = spec(root, "stress", "min = 0.5");
    let failing = spec(root, "stress-gate", "min = 1.5");
    let mut random = Lcg(12);
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    // Kills land anywhere in a run: their delays are drawn over the time a whole run takes
    // here (the first run, never killed, measures it).
    let mut typical = Duration::from_secs(1);
    for run in 0..50 {
        let gate_fails = run % 7 == 3;
        let disk_full = !gate_fails && (run % 10 == 5 || run % 10 == 8);
        let killed = run > 0 && !gate_fails && !disk_full && random.below(3) != 0;
        let started = Instant::now();
        if disk_full {
            // 0 bytes left: the log append fails and is rolled back; 8 KiB: the log takes the
            // entries and the registry cannot.
            fill(&disk.at, &filler, if run % 10 == 5 { 0 } else { 8192 });
        }
        let out = root.join(format!("bundle-{}", run % 6));
        let mut child = Command::new(env!("CARGO_BIN_EXE_synthgate"))
            .args(["run", "--quiet", "--force", "--out"])
            .arg(&out)
            .arg(if gate_fails { &failing } else { &passing })
            .env("SYNTHGATE_HOME", &home)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        let outcome = if killed {
            let bound = u64::try_from(typical.as_millis()).unwrap_or(1000).max(1);
            let deadline = Instant::now() + Duration::from_millis(random.below(bound));
            loop {
                if let Some(status) = child.try_wait().expect("waits") {
                    break format!("finished before the kill: {:?}", status.code());
                }
                if Instant::now() >= deadline {
                    child.kill().expect("kill");
                    child.wait().expect("reaped");
                    break "killed".to_string();
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        } else {
            let output = child.wait_with_output().expect("waits");
            let code = output.status.code();
            if gate_fails {
                assert_eq!(code, Some(4), "run {run}: {}", stderr(&output));
            } else if disk_full && run % 10 == 5 {
                // Nothing fits: the log append fails and is rolled back, the bundle taken away.
                assert_eq!(code, Some(6), "run {run}: {}", stderr(&output));
            } else if disk_full {
                // Room for the log's entries, perhaps not for the registry's row.
                assert!(
                    matches!(code, Some(0 | 6)),
                    "run {run}: {}",
                    stderr(&output)
                );
            } else {
                assert_eq!(code, Some(0), "run {run}: {}", stderr(&output));
            }
            if run == 0 {
                typical = started.elapsed();
            }
            format!("exit {code:?}")
        };
        *outcomes.entry(outcome).or_default() += 1;
        if disk_full {
            std::fs::remove_file(&filler).expect("disk freed");
        }
    }
    assert!(
        outcomes.get("killed").copied().unwrap_or(0) >= 10,
        "{outcomes:?}"
    );
    let audit = |home: &Path| {
        Command::new(env!("CARGO_BIN_EXE_synthgate"))
            .args(["audit", "verify"])
            .env("SYNTHGATE_HOME", home)
            .output()
            .expect("runs")
    };
    let output = audit(&home);
    assert!(
        output.status.success(),
        "{outcomes:?}\n{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    // Every registered bundle still in place verifies.
    let list = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(["registry", "list"])
        .env("SYNTHGATE_HOME", &home)
        .output()
        .expect("runs");
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(stdout(&list).lines().count() > 10, "{}", stdout(&list));
    for slot in 0..6 {
        let bundle = root.join(format!("bundle-{slot}"));
        if bundle.join("manifest.json").exists() {
            let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
                .args(["verify", "--quiet"])
                .arg(&bundle)
                .env("SYNTHGATE_HOME", &home)
                .output()
                .expect("runs");
            assert!(
                output.status.success(),
                "{}: {}",
                bundle.display(),
                stderr(&output)
            );
        }
    }
    // And an edited entry is found.
    let log = home.join("audit.jsonl");
    let text = std::fs::read_to_string(&log).expect("log");
    let edited = text.replacen("\"releasable\":true", "\"releasable\":false", 1);
    assert_ne!(edited, text);
    std::fs::write(&log, edited).expect("write");
    let output = audit(&home);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("was edited"),
        "{}",
        stderr(&output)
    );
}

//! Multi-turn agent rollouts in real Docker sandboxes: a scripted policy behind an
//! OpenAI-compatible endpoint (tests/models/scripted_policy.py) drives every way an episode can
//! end, and the gated-reward example runs its agent on the local SmolLM2 (when the models are
//! fetched; `PIPEC_REQUIRE_MODELS=1` makes missing ones fail). Needs `pipec sandbox build busybox`
//! and `python`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

mod common;
use common::{root, run_dir, scratch, text};

/// The scripted policy's server; killed when dropped.
struct Policy(std::process::Child, String);

impl Drop for Policy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scripted_policy() -> Policy {
    let mut child = Command::new("python3").arg(root().join("tests/models/scripted_policy.py")).stdout(std::process::Stdio::piped()).spawn().expect("python3 starts");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let port = line.trim().strip_prefix("ready ").expect("the policy says `ready PORT`").to_string();
    Policy(child, format!("http://127.0.0.1:{port}"))
}

fn records(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn report(run: &std::path::Path) -> Vec<f64> {
    records(&run.join("metrics.jsonl")).iter().filter(|m| m["node"].as_str().unwrap().starts_with("report")).map(|m| m["value"].as_f64().unwrap()).collect()
}

#[test]
fn scripted_episodes_end_as_scripted_and_gra_credits_steps_only_past_the_gate() {
    let policy = scripted_policy();
    let runs = scratch("agents");
    let run = |extra: &[&str]| -> Output {
        let mut args = vec!["run", "tests/models/rollout_scripted.pipe", "-q", "--sandbox", "docker", "--runs", runs.to_str().unwrap()];
        args.extend(extra);
        Command::new(env!("CARGO_BIN_EXE_pipec")).args(&args).env("PIPEC_POLICY_URL", &policy.1).current_dir(root()).output().unwrap()
    };
    let out = run(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = run_dir(&text(&out.stdout));
    let by_id: BTreeMap<String, serde_json::Value> = records(&dir.join("outputs/scored.jsonl")).into_iter().map(|t| (t["task"]["id"].as_str().unwrap().to_string(), t)).collect();
    let fix = &by_id["fix"];
    // read (the original file, numbered by `cat -n`), write, submit: the diff against /.orig
    // applies in the verifier's fresh sandbox and passes; 1.0 + 3 parsed steps x 0.1.
    assert_eq!((fix["end"].as_str(), fix["turns"].as_i64(), fix["modified"].as_bool()), (Some("submitted"), Some(3), Some(true)), "{fix}");
    assert!(fix["steps"][0]["observation"].as_str().unwrap().contains("echo \"TODO\""), "{fix}");
    assert!(fix["patch"].as_str().unwrap().contains("+echo $(($1 + $2))"), "{fix}");
    assert!(fix["steps"].as_array().unwrap().iter().all(|s| s["action"]["tool"]["ok"] == true), "{fix}");
    assert!((fix["gra"].as_f64().unwrap() - 1.3).abs() < 1e-9, "{fix}");
    let give_up = &by_id["give_up"];
    assert_eq!((give_up["end"].as_str(), give_up["turns"].as_i64(), give_up["patch"].as_str()), (Some("empty_patch"), Some(1), Some("")), "{give_up}");
    assert!((give_up["gra"].as_f64().unwrap() + 0.5).abs() < 1e-9, "below the gate, its parsed step earns nothing: {give_up}");
    let broke = &by_id["break"];
    // Out of turns without submitting: the code it broke still counts as a modification, and its
    // shell step saw the broken adder's answer (2 - 3).
    assert_eq!((broke["end"].as_str(), broke["turns"].as_i64(), broke["modified"].as_bool(), broke["patch"].as_str()), (Some("no_submit"), Some(3), Some(true), Some("")), "{broke}");
    assert_eq!(broke["steps"][1]["observation"].as_str().unwrap().trim(), "-1", "{broke}");
    assert!((broke["gra"].as_f64().unwrap() + 1.0).abs() < 1e-9, "{broke}");
    let chat = &by_id["chat"];
    assert_eq!((chat["end"].as_str(), chat["modified"].as_bool()), (Some("no_submit"), Some(false)), "{chat}");
    assert!(chat["steps"].as_array().unwrap().iter().all(|s| s["action"]["parsed"] == false && s["action"]["tool"].is_null()), "{chat}");
    // Completion (submitted) 1/4; modification 2/4 (fix and break).
    assert_eq!(report(&dir), [0.25, 0.5]);
    // A rerun reuses the rollouts; a fresh run asks the same questions, answered from the cache.
    let again = run(&["--fresh"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let usage: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run_dir(&text(&again.stdout)).join("logs/rollouts/usage.json")).unwrap()).unwrap();
    assert_eq!((usage["requests"].as_i64(), usage["cached"].as_i64()), (Some(10), Some(10)), "3 + 1 + 3 + 3 turns: {usage}");
    let (first, second) = (std::fs::read_to_string(dir.join("outputs/scored.jsonl")).unwrap(), std::fs::read_to_string(run_dir(&text(&again.stdout)).join("outputs/scored.jsonl")).unwrap());
    assert!(first == second, "a fresh run gives byte-identical trajectories:\n{first}\n---\n{second}");
    let _ = std::fs::remove_dir_all(&runs);
}

/// The models folder, or None (said) when `scripts/fetch-models.sh` has not filled it.
fn models() -> Option<PathBuf> {
    let models = std::env::var("PIPEC_MODELS").map(PathBuf::from).unwrap_or_else(|_| root().join("models"));
    if models.join("smollm2-135m-instruct.q4_1.gguf").exists() {
        return Some(models);
    }
    assert!(std::env::var("PIPEC_REQUIRE_MODELS").is_err(), "PIPEC_REQUIRE_MODELS=1 but {} lacks models: run scripts/fetch-models.sh", models.display());
    eprintln!("skipped: no models in {} (scripts/fetch-models.sh fetches them)", models.display());
    None
}

#[test]
fn the_gated_reward_example_runs_its_agent_on_the_local_lm_in_docker() {
    let Some(models) = models() else { return };
    let runs = scratch("swe-rl");
    let out = Command::new(env!("CARGO_BIN_EXE_pipec"))
        .args(["run", "examples/swe_gated_rewards.pipe", "--pipeline", "swe_rl", "-q", "--sandbox", "docker", "--runs", runs.to_str().unwrap()])
        .env("PIPEC_MODELS", &models)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = run_dir(&text(&out.stdout));
    let batch = records(&dir.join("outputs/out/batch.jsonl"));
    assert_eq!(batch.len(), 4, "2 tasks x 2 samples");
    for t in &batch {
        let (end, turns, steps) = (t["end"].as_str().unwrap(), t["turns"].as_i64().unwrap(), t["steps"].as_array().unwrap());
        assert!(["no_submit", "empty_patch", "submitted"].contains(&end) && (1..=3).contains(&turns) && steps.len() as i64 == turns, "{t}");
        assert!(steps.iter().all(|s| !s["action"]["text"].as_str().unwrap().is_empty() || s["action"]["parsed"] == false), "{t}");
        // G-RA never credits steps below the gate: an unsubmitted episode scores exactly -1.
        if end == "no_submit" {
            assert_eq!(t["gra"].as_f64(), Some(-1.0), "{t}");
        }
        assert!(t["advantage"].as_f64().is_some_and(f64::is_finite), "{t}");
    }
    // The report: completion, modification, mean G-RA, mean direct.
    assert_eq!(report(&dir).len(), 4);
    let _ = std::fs::remove_dir_all(&runs);
}

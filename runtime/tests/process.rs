//! `pipec run` as a separate process, as users and CI run it: the `tests/run/` fixtures against
//! their expected transcripts and outputs, reuse and `pipec explain`, editing one stage, and the
//! kill -9 reliability test. (These need the built binary, so they live beside it, not in `tests/`.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{root, run_dir, scratch, text};

fn pipec(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipec")).args(args).current_dir(cwd).output().expect("pipec runs")
}

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn statuses(m: &serde_json::Value) -> BTreeMap<String, String> {
    m["nodes"].as_array().unwrap().iter().map(|n| (n["id"].as_str().unwrap().to_string(), n["status"].as_str().unwrap().to_string())).collect()
}

/// Replace what changes from run to run (folders, stamps, timings) with placeholders.
fn normalise(s: &str, runs: &Path) -> String {
    let s = s.replace(&runs.display().to_string(), "$RUNS");
    s.lines()
        .map(|l| {
            let mut words: Vec<String> = l.split(' ').map(str::to_string).collect();
            for w in words.iter_mut() {
                if let Some(i) = w.find("-2026").or_else(|| w.find("-20")).filter(|_| w.starts_with("$RUNS/")) {
                    let end = w[i + 1..].find('/').map_or(w.len(), |j| i + 1 + j);
                    w.replace_range(i + 1..end, "$STAMP");
                }
            }
            let l = words.join(" ");
            match (l.find(") in "), l.ends_with(" ms")) {
                (Some(i), true) => format!("{}) in $MS ms", &l[..i]),
                _ => l,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sandbox timings vary run to run: `"duration_ms":123` -> `"duration_ms":$MS`.
fn mask_durations(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\"duration_ms\":") {
        let (head, tail) = rest.split_at(i + "\"duration_ms\":".len());
        out.push_str(head);
        out.push_str("$MS");
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

fn expect(rel: &str, actual: &str) {
    let path = root().join(rel);
    if std::env::var_os("PIPEC_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(expected == actual, "{rel} differs (rerun with PIPEC_BLESS=1 to accept)\n--- expected\n{expected}\n--- actual\n{actual}");
}

/// A fixture's transcript: exit code, what pipec printed, then every output file and the metrics.
fn transcript(fixture: &str) -> String {
    let runs = scratch("fixture");
    // `--sandbox docker`: a hostile fixture must never fall back to the host.
    let out = pipec(&root(), &["run", fixture, "--runs", runs.to_str().unwrap(), "--quiet", "--sandbox", "docker"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let mut t = format!("exit: {}\n--- stderr\n{}\n--- stdout\n{}\n", out.status.code().unwrap_or(-1), normalise(&stderr, &runs), normalise(&stdout, &runs));
    if stdout.contains("run folder") {
        let dir = run_dir(&stdout);
        for (name, bytes) in files(&dir.join("outputs")) {
            match std::str::from_utf8(&bytes) {
                Ok(s) => t.push_str(&format!("--- outputs/{name}\n{}", mask_durations(s))),
                Err(_) => t.push_str(&format!("--- outputs/{name}\n<{} bytes, blake3 {}>\n", bytes.len(), blake3::hash(&bytes).to_hex())),
            }
        }
        t.push_str(&format!("--- metrics.jsonl\n{}", text(&std::fs::read(dir.join("metrics.jsonl")).unwrap_or_default())));
    }
    let _ = std::fs::remove_dir_all(&runs);
    t
}

#[test]
fn run_fixtures_match_their_transcripts() {
    let mut fixtures: Vec<String> = std::fs::read_dir(root().join("tests/run")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".pipe")).collect();
    fixtures.sort();
    assert!(fixtures.len() >= 5);
    for f in fixtures {
        let rel = format!("tests/run/{f}");
        let t = transcript(&rel);
        if let Some(code) = f.split('_').next().filter(|c| c.starts_with('E')) {
            assert!(t.contains(&format!("error[{code}]")), "{rel} must produce {code}:\n{t}");
        }
        expect(&rel.replace(".pipe", ".expected"), &t);
    }
}

#[test]
fn quickstart_runs_then_a_second_run_reuses_every_node() {
    let runs = scratch("quickstart");
    let r = runs.to_str().unwrap();
    let first = pipec(&root(), &["run", "examples/quickstart.pipe", "--runs", r]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let dir1 = run_dir(&text(&first.stdout));
    for f in ["outputs/out/clean.jsonl", "outputs/out/topics.jsonl", "metrics.jsonl", "report.html", "manifest.json", "plan.json"] {
        assert!(dir1.join(f).is_file(), "{f} missing from {}", dir1.display());
    }
    let html = std::fs::read_to_string(dir1.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("count(unique)") && !html.contains("<script"), "the report is self-contained with the DAG and metrics");
    let second = pipec(&root(), &["run", "examples/quickstart.pipe", "--runs", r]);
    let dir2 = run_dir(&text(&second.stdout));
    assert!(statuses(&manifest(&dir2)).values().all(|s| s == "reused"), "{}", text(&second.stdout));
    assert_eq!(files(&dir1.join("outputs")), files(&dir2.join("outputs")));
    let explain = text(&pipec(&root(), &["explain", dir2.to_str().unwrap()]).stdout);
    assert_eq!(explain.lines().filter(|l| l.trim_start().starts_with("reused")).count(), 8, "{explain}");
    assert!(explain.contains(&format!("made by run {}", dir1.file_name().unwrap().to_string_lossy())), "{explain}");
    let fresh = pipec(&root(), &["run", "examples/quickstart.pipe", "--runs", r, "--fresh"]);
    assert!(statuses(&manifest(&run_dir(&text(&fresh.stdout)))).values().all(|s| s == "ran"));
    let _ = std::fs::remove_dir_all(&runs);
}

/// Copy the quickstart example into a scratch folder so it can be edited.
fn quickstart_copy(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::copy(root().join("examples/quickstart.pipe"), dir.join("q.pipe")).unwrap();
    std::fs::copy(root().join("examples/data/quickstart.jsonl"), dir.join("data/quickstart.jsonl")).unwrap();
    dir
}

#[test]
fn editing_one_stage_reruns_only_what_depends_on_it() {
    let dir = quickstart_copy("edit");
    assert!(pipec(&dir, &["run", "q.pipe", "-q"]).status.success());
    let src = std::fs::read_to_string(dir.join("q.pipe")).unwrap();
    std::fs::write(dir.join("q.pipe"), src.replace("threshold: 0.9", "threshold: 0.5")).unwrap();
    let out = pipec(&dir, &["run", "q.pipe", "-q"]);
    let run = run_dir(&text(&out.stdout));
    let s = statuses(&manifest(&dir.join(&run)));
    for id in ["dataset:raw", "filter#2", "kept"] {
        assert_eq!(s[id], "reused", "{id}");
    }
    for id in ["unique", "topics", "write#6", "write#7", "report#8"] {
        assert_eq!(s[id], "ran", "{id}");
    }
    let explain = text(&pipec(&dir, &["explain", run.to_str().unwrap()]).stdout);
    assert!(explain.lines().any(|l| l.contains("unique") && l.contains("its definition changed")), "{explain}");
    assert!(explain.lines().any(|l| l.contains("topics") && l.contains("input `unique` changed")), "{explain}");
    // Comments and blank lines do not change any key.
    std::fs::write(dir.join("q.pipe"), format!("// a comment\n\n{}", std::fs::read_to_string(dir.join("q.pipe")).unwrap())).unwrap();
    let again = run_dir(&text(&pipec(&dir, &["run", "q.pipe", "-q"]).stdout));
    assert!(statuses(&manifest(&dir.join(again))).values().all(|s| s == "reused"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_line_names_file_and_line_and_loses_nothing() {
    let dir = quickstart_copy("malformed");
    let first = pipec(&dir, &["run", "q.pipe", "-q"]);
    let good = files(&dir.join(run_dir(&text(&first.stdout))).join("outputs"));
    let data = dir.join("data/quickstart.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&data).unwrap().lines().map(str::to_string).collect();
    lines[6] = lines[6].replace("\"score\": 0.92", "\"score\": \"high\"");
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let bad = pipec(&dir, &["run", "q.pipe", "-q"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(err.contains("error[E0901]") && err.contains("data/quickstart.jsonl:7: field `score`: expected a number, found string \"high\""), "{err}");
    let first_dir = dir.join(run_dir(&text(&first.stdout)));
    assert_eq!(files(&first_dir.join("outputs")), good, "earlier outputs are untouched");
    let failed_dir = dir.join(run_dir(&text(&bad.stdout)));
    assert!(files(&failed_dir.join("outputs")).is_empty(), "nothing downstream of the bad file was written");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pipeline with enough work that kills land inside nodes, over generated data.
fn churn_workspace(dir: &Path, rows: usize) {
    let topics = ["math", "code", "geo", "science", "history"];
    let vocab: Vec<String> = (0..500u64).map(|w| format!("{:x}", w.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40)).collect();
    let mut state = 7u64;
    let mut word = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        vocab[(state >> 33) as usize % vocab.len()].clone()
    };
    let mut texts: Vec<String> = Vec::new();
    let mut data = String::new();
    for i in 0..rows {
        let t = topics[i % topics.len()];
        // Every seventh record repeats an earlier text in upper case: a near-duplicate.
        let text = if i % 7 == 3 { texts[i - 3].to_uppercase() } else { (0..8).map(|_| word()).collect::<Vec<_>>().join(" ") };
        texts.push(text.clone());
        data.push_str(&format!("{{\"id\": \"r{i}\", \"topic\": \"{t}\", \"text\": \"{text}\", \"score\": {}}}\n", (i * 37 % 100) as f64 / 100.0));
    }
    std::fs::write(dir.join("docs.jsonl"), data).unwrap();
    let pipe = r#"
schema Doc {
  id: str
  topic: str
  text: str
  score: float
}

dataset docs: [Doc] = jsonl("docs.jsonl")

pipeline churn {
  let kept = docs |> filter(|d| d.score >= 0.1)
  let unique = kept |> dedup(by: .text, method: ngram, threshold: 0.8)
  for i in 1..=4 {
    let part = unique |> subsample(n: 2000, seed: i)
    part |> write("sample{i}.jsonl")
  }
  unique |> group(by: .topic) |> write("groups.jsonl")
  unique |> batches(size: 32, homogeneous: 0.5, by: .topic, seed: 1) |> write("batches.jsonl")
  report count(kept), count(unique), mean(unique.score)
}
"#;
    std::fs::write(dir.join("churn.pipe"), pipe).unwrap();
}

/// Every cache object is complete: its header's record count matches its lines.
fn cache_objects_are_whole(cache: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    for (name, bytes) in files(&cache.join("objects")) {
        let t = text(&bytes);
        let mut lines = t.lines();
        let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap_or_else(|e| panic!("{name}: bad header: {e}"));
        let n = lines.count();
        let want = if header["shape"] == "list" { header["rows"].as_u64().unwrap() as usize } else { 1 };
        assert_eq!(n, want, "{name} is partial");
        keys.push(name.rsplit('/').next().unwrap().trim_end_matches(".jsonl").to_string());
    }
    keys
}

#[test]
fn kill_nine_at_random_moments_then_resume_gives_identical_outputs() {
    let dir = scratch("kill");
    churn_workspace(&dir, 8_000);
    let started = std::time::Instant::now();
    let reference = pipec(&dir, &["run", "churn.pipe", "-q", "--runs", "reference"]);
    let full = started.elapsed();
    assert!(reference.status.success(), "{}", text(&reference.stderr));
    let ref_dir = dir.join(run_dir(&text(&reference.stdout)));
    let ref_outputs = files(&ref_dir.join("outputs"));
    let ref_metrics = std::fs::read(ref_dir.join("metrics.jsonl")).unwrap();
    assert_eq!(ref_outputs.len(), 6);
    let mut seed: u64 = 0x5eed;
    let mut killed_mid_run = 0;
    for round in 0..20 {
        let runs = format!("kill{round}");
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        // Within the first half of an uninterrupted run, so most kills land mid-run even when the
        // machine is busier or idler than during the reference run.
        let wait = std::time::Duration::from_micros((seed >> 33) % (full.as_micros() as u64 / 2 + 1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipec")).args(["run", "churn.pipe", "-q", "--runs", &runs]).current_dir(&dir).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
        std::thread::sleep(wait);
        let _ = child.kill(); // SIGKILL
        let finished = child.wait().unwrap().success();
        killed_mid_run += usize::from(!finished);
        // Whatever the killed run left visible is complete: no partial output, no partial cache entry.
        for killed in std::fs::read_dir(dir.join(&runs)).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| !p.ends_with(".cache")) {
            for (name, bytes) in files(&killed.join("outputs")) {
                assert!(ref_outputs.get(&name) == Some(&bytes), "round {round}: partial or wrong output {name} after kill at {wait:?}");
            }
            if !finished && !killed.join("manifest.json").exists() {
                let explain = pipec(&dir, &["explain", killed.to_str().unwrap()]);
                assert!(explain.status.success() && text(&explain.stdout).contains("did not finish"), "round {round}: {}", text(&explain.stdout));
            }
        }
        let cached_before = cache_objects_are_whole(&dir.join(&runs).join(".cache"));
        let resumed = pipec(&dir, &["run", "churn.pipe", "-q", "--runs", &runs]);
        assert!(resumed.status.success(), "round {round}: {}", text(&resumed.stderr));
        let out = dir.join(run_dir(&text(&resumed.stdout)));
        assert_eq!(files(&out.join("outputs")), ref_outputs, "round {round}: resumed outputs differ");
        assert_eq!(std::fs::read(out.join("metrics.jsonl")).unwrap(), ref_metrics, "round {round}");
        for n in manifest(&out)["nodes"].as_array().unwrap() {
            if cached_before.iter().any(|k| Some(k.as_str()) == n["key"].as_str()) {
                assert_eq!(n["status"], "reused", "round {round}: {} was finished before the kill but ran again", n["id"]);
            }
        }
    }
    assert!(killed_mid_run >= 8, "only {killed_mid_run} of 20 kills landed before the run finished");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_node_runs_alone_from_the_serialised_plan_and_the_cache() {
    let runs = scratch("nodes");
    let whole = pipec(&root(), &["run", "examples/quickstart.pipe", "-q", "--runs", runs.to_str().unwrap()]);
    let dir = run_dir(&text(&whole.stdout));
    let plan = dir.join("plan.json");
    let cache = runs.join("separate-cache");
    let outputs = runs.join("separate-outputs");
    let order: Vec<String> = {
        let p: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
        p["pipelines"][0]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_string()).collect()
    };
    let args = |node: &str| vec!["node".to_string(), plan.display().to_string(), "--node".into(), node.into(), "--cache".into(), cache.display().to_string(), "--outputs".into(), outputs.display().to_string()];
    // A node whose inputs are not cached yet is refused with a clear message.
    let early = Command::new(env!("CARGO_BIN_EXE_pipec")).args(args("unique")).current_dir(root()).output().unwrap();
    assert_eq!(early.status.code(), Some(1));
    assert!(text(&early.stderr).contains("input `kept`") && text(&early.stderr).contains("run that node first"), "{}", text(&early.stderr));
    let keys: BTreeMap<String, String> = manifest(&dir)["nodes"].as_array().unwrap().iter().map(|n| (n["id"].as_str().unwrap().to_string(), n["key"].as_str().unwrap().to_string())).collect();
    for id in &order {
        let out = Command::new(env!("CARGO_BIN_EXE_pipec")).args(args(id)).current_dir(root()).output().unwrap();
        assert!(out.status.success(), "{id}: {}", text(&out.stderr));
        let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(line["status"], "ran", "{id}");
        assert_eq!(line["key"].as_str(), Some(keys[id].as_str()), "{id}: the same key as inside `pipec run`");
    }
    assert_eq!(files(&outputs), files(&dir.join("outputs")), "node by node gives the same outputs as the whole run");
    let _ = std::fs::remove_dir_all(&runs);
}

/// Containers made by the pipec process `pid` (other tests run pipec at the same time).
fn pipec_containers(pid: u32) -> String {
    let out = Command::new("docker").args(["ps", "-a", "-q", "--filter", &format!("label=pipec.pid={pid}")]).output().expect("docker runs");
    text(&out.stdout).trim().to_string()
}

/// Start `pipec run` on the Docker verifier fixture and wait until it has a container.
fn start_verifying(runs: &Path) -> (std::process::Child, u32) {
    let child = Command::new(env!("CARGO_BIN_EXE_pipec")).args(["run", "tests/run/docker_verifier.pipe", "-q", "--sandbox", "docker", "--runs", runs.to_str().unwrap()]).current_dir(root()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let pid = child.id();
    let started = std::time::Instant::now();
    while pipec_containers(pid).is_empty() && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!pipec_containers(pid).is_empty(), "a verification container should be running");
    (child, pid)
}

#[test]
fn a_killed_verification_leaves_no_container() {
    let runs = scratch("docker-kill");
    let (mut child, pid) = start_verifying(&runs);
    child.kill().unwrap();
    child.wait().unwrap();
    let reap = pipec(&root(), &["sandbox", "reap"]);
    assert!(reap.status.success(), "{}", text(&reap.stderr));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !pipec_containers(pid).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(pipec_containers(pid), "", "containers left after kill + reap");
    let _ = std::fs::remove_dir_all(&runs);
}

#[test]
fn docker_and_local_sandboxes_give_the_same_verdicts() {
    let outcome = |mode: &str| {
        let runs = scratch(&format!("backend-{mode}"));
        let out = pipec(&root(), &["run", "tests/run/docker_verifier.pipe", "-q", "--sandbox", mode, "--runs", runs.to_str().unwrap()]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        let verdicts = std::fs::read_to_string(run_dir(&text(&out.stdout)).join("outputs/verdicts.jsonl")).unwrap();
        let _ = std::fs::remove_dir_all(&runs);
        verdicts
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let d = &v["verdict"];
                format!("{} {} {} {} {}", v["id"], d["passed"], d["exit"], d["timed_out"], d["failed_at"])
            })
            .collect::<Vec<_>>()
    };
    let docker = outcome("docker");
    assert_eq!(docker.len(), 4, "the hanging attempt is dropped: {docker:?}");
    assert_eq!(docker, outcome("local"));
}

#[test]
fn humaneval_gold_patches_pass_and_wrong_ones_fail_in_docker() {
    let runs = scratch("humaneval");
    let out = pipec(&root(), &["run", "examples/humaneval_verify.pipe", "-q", "--sandbox", "docker", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let metrics = std::fs::read_to_string(run_dir(&text(&out.stdout)).join("metrics.jsonl")).unwrap();
    let values: Vec<i64> = metrics.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["value"].as_i64().unwrap()).collect();
    assert_eq!(values, [5, 0], "5 gold patches pass, 0 wrong ones do:\n{metrics}");
    // The gated-reward example's own verifier (tests mounted read-only) certifies the same tasks.
    let out = pipec(&root(), &["run", "examples/swe_gated_rewards.pipe", "--pipeline", "certify_tasks", "-q", "--sandbox", "docker", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let certified = std::fs::read_to_string(run_dir(&text(&out.stdout)).join("outputs/certified.jsonl")).unwrap();
    assert_eq!(certified.lines().count(), 5, "every gold patch passes 3 times out of 3:\n{certified}");
    // Its scripted episodes, scored with G-RA and direct accumulation: the tests run in Docker.
    let out = pipec(&root(), &["run", "examples/swe_gated_rewards.pipe", "--pipeline", "score_shipped", "-q", "--sandbox", "docker", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let metrics = std::fs::read_to_string(run_dir(&text(&out.stdout)).join("metrics.jsonl")).unwrap();
    // The report's items (the score nodes' own metrics come first).
    let values: Vec<f64> = metrics.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()).filter(|m| m["node"].as_str().unwrap().starts_with("report")).map(|m| m["value"].as_f64().unwrap()).collect();
    assert!(metrics.contains("\"name\":\"score(gra).outcome\""), "per-term metrics: {metrics}");
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    // Completion 8/10, modification 8/10, resolution 5/10 (the gold patches); mean G-RA 0.835
    // against 0.975 direct: the empty and unsubmitted episodes lose their step credit.
    assert!(values.iter().zip([0.8, 0.8, 0.5, 0.835, 0.975]).all(|(a, b)| close(*a, b)), "{metrics}");
    let _ = std::fs::remove_dir_all(&runs);
}

#[test]
fn ctrl_c_mid_verification_removes_the_containers_itself() {
    let runs = scratch("docker-int");
    let (mut child, pid) = start_verifying(&runs);
    // A positive pid: only that process gets SIGINT.
    assert!(Command::new("kill").args(["-s", "INT", &pid.to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(pipec_containers(pid), "", "pipec left containers after Ctrl-C");
    let _ = std::fs::remove_dir_all(&runs);
}

/// A tensor of a safetensors file, read with pipec-compute's streaming reader.
fn tensor(file: &Path, name: &str) -> Vec<f32> {
    use pipec_compute::kernels::soup::safetensors::{read_elements, read_header};
    let header = read_header(file).unwrap();
    let t = header.tensors.iter().find(|t| t.name == name).unwrap();
    let (mut raw, mut out) = (Vec::new(), Vec::new());
    read_elements(&mut std::fs::File::open(file).unwrap(), t, 0, t.elements() as usize, &mut raw, &mut out).unwrap();
    out
}

#[test]
fn model_soup_runs_on_both_backends_and_reruns_when_a_checkpoint_changes() {
    let dir = scratch("soup");
    for c in ["a", "b", "c"] {
        std::fs::create_dir_all(dir.join(c)).unwrap();
        std::fs::copy(root().join(format!("examples/data/soup/{c}/model.safetensors")), dir.join(c).join("model.safetensors")).unwrap();
    }
    std::fs::write(dir.join("soup.pipe"), "pipeline souped {\n  soup([\"a\", \"b\", \"c\"], weights: given, given: [1.0, 1.0, 2.0]) |> save(\"soup\")\n}\n").unwrap();
    let soup = |backend: &str| {
        let out = pipec(&dir, &["run", "soup.pipe", "-q", "--runs", "runs", "--backend", backend]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        dir.join(run_dir(&text(&out.stdout)))
    };
    // (1, 2) + (3, -2) + 2 * (2, 3), over 4.
    let cpu = soup("cpu");
    assert_eq!(tensor(&cpu.join("outputs/soup/model.safetensors"), "w"), [2.0, 1.5]);
    let again = soup("cpu");
    assert!(statuses(&manifest(&again)).values().all(|s| s == "reused"), "{:?}", statuses(&manifest(&again)));
    assert_eq!(files(&cpu.join("outputs")), files(&again.join("outputs")), "a reused soup is saved again, byte for byte");
    // A GPU soup (llvmpipe in CI) agrees; without any adapter the run fails with a clear reason.
    let gpu = pipec(&dir, &["run", "soup.pipe", "-q", "--runs", "runs", "--backend", "gpu", "--fresh"]);
    if gpu.status.success() {
        assert_eq!(tensor(&dir.join(run_dir(&text(&gpu.stdout))).join("outputs/soup/model.safetensors"), "emb"), tensor(&cpu.join("outputs/soup/model.safetensors"), "emb"));
    } else {
        assert!(std::env::var("PIPEC_REQUIRE_GPU").is_err() && text(&gpu.stderr).contains("no GPU adapter"), "{}", text(&gpu.stderr));
    }
    // Changing one checkpoint reruns the soup, and explain names the file.
    std::fs::copy(dir.join("a/model.safetensors"), dir.join("c/model.safetensors")).unwrap();
    let changed = soup("cpu");
    assert_eq!(tensor(&changed.join("outputs/soup/model.safetensors"), "w"), [1.5, 1.0]);
    let why = text(&pipec(&dir, &["explain", changed.to_str().unwrap()]).stdout);
    assert!(why.contains("c/model.safetensors"), "{why}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn champ_example_pairs_correct_solutions_over_incorrect_ones() {
    let runs = scratch("champ");
    let out = pipec(&root(), &["run", "examples/champ_preferences.pipe", "-q", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = run_dir(&text(&out.stdout));
    let metrics = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    let values: Vec<i64> = metrics.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["value"].as_i64().unwrap()).collect();
    assert_eq!(values, [118, 20, 156], "118 real solutions, 20 with the right answer, 156 pairs:\n{metrics}");
    // Every pair's chosen solution states the answer; no rejected one does.
    let samples: Vec<serde_json::Value> = std::fs::read_to_string(root().join("examples/data/champ/samples.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let correct: std::collections::BTreeSet<String> = std::fs::read_to_string(dir.join("outputs/correct.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let is_correct = |text: &str| samples.iter().any(|s| s["completion"] == text && correct.contains(s["id"].as_str().unwrap()));
    for line in std::fs::read_to_string(dir.join("outputs/pairs.jsonl")).unwrap().lines() {
        let pair: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(is_correct(pair["chosen"].as_str().unwrap()) && !is_correct(pair["rejected"].as_str().unwrap()));
    }
    let _ = std::fs::remove_dir_all(&runs);
}

#[test]
fn a_verifier_reruns_when_a_file_it_copied_changes() {
    let dir = scratch("verifier-files");
    std::fs::create_dir_all(dir.join("repo")).unwrap();
    std::fs::write(dir.join("repo/answer.txt"), "42\n").unwrap();
    std::fs::write(dir.join("tasks.jsonl"), "{\"id\": \"t1\", \"repo\": \"repo\"}\n").unwrap();
    std::fs::write(dir.join("v.pipe"), r#"schema Task {
  id: str
  repo: str
}
sandbox box = docker(image: "pipec/busybox", timeout: 30s)
verifier answers(t: Task) -> Verdict {
  in box {
    copy t.repo to "/repo"
    run "grep -q 42 answer.txt" at "/repo" timeout 10s
  }
  pass when exit == 0
  on timeout => fail
  on infra_error => fail
}
dataset tasks: [Task] = jsonl("tasks.jsonl")
pipeline check {
  tasks |> verify(answers) |> map(|t| "{t.id}: {t.verdict.passed}") |> write("verdicts.jsonl")
}
"#).unwrap();
    let run = || {
        let out = pipec(&dir, &["run", "v.pipe", "-q", "--sandbox", "local", "--runs", "runs"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let run = dir.join(run_dir(&text(&out.stdout)));
        (std::fs::read_to_string(run.join("outputs/verdicts.jsonl")).unwrap(), manifest(&run))
    };
    let verify_status = |m: &serde_json::Value| m["nodes"].as_array().unwrap().iter().find(|n| n["builtin"] == "verify").map(|n| (n["status"].as_str().unwrap().to_string(), n["reason"].as_str().unwrap().to_string())).unwrap();
    assert_eq!(run().0, "\"t1: true\"\n");
    assert_eq!(verify_status(&run().1).0, "reused");
    // Editing a copied file, or adding one to the copied folder, reruns the verification.
    std::fs::write(dir.join("repo/answer.txt"), "41\n").unwrap();
    let (verdicts, m) = run();
    assert_eq!(verdicts, "\"t1: false\"\n");
    let (status, reason) = verify_status(&m);
    assert!(status == "ran" && reason.contains("repo changed since cache entry"), "{reason}");
    std::fs::write(dir.join("repo/extra.txt"), "42\n").unwrap();
    assert_eq!(verify_status(&run().1).0, "ran");
    assert_eq!(verify_status(&run().1).0, "reused");
    let _ = std::fs::remove_dir_all(&dir);
}

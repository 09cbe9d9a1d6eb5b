"""No private keys or cloud credentials in the repository."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Built from pieces so this file does not match itself.
PATTERNS = {
    "private key": re.compile(r"-----BEGIN ([A-Z]+ )?" + "PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret key": re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}", re.I),
    "Django secret key": re.compile(r"^SECRET_KEY\s*=\s*['\"][^'\"]{40,}['\"]", re.M),
}


def tracked_files():
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_secrets_in_repository():
    found = []
    for path in tracked_files():
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", "ignore")
        for label, pattern in PATTERNS.items():
            if pattern.search(text):
                found.append(f"{path.relative_to(ROOT)}: {label}")
    assert not found, found


def test_patterns_catch_examples():
    assert PATTERNS["private key"].search("-----BEGIN RSA " + "PRIVATE KEY-----")
    assert PATTERNS["AWS access key id"].search("key=AKIA" + "ABCDEFGHIJKLMNOP")
    assert PATTERNS["Django secret key"].search('SECRET_KEY = "' + "k" * 50 + '"')

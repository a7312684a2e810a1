"""No secret is committed: every file git would commit is scanned for private keys, provider
tokens, this platform's own key formats and password literals.

The only literals allowed are the documented local-only defaults (the local SMS/WhatsApp
provider's token, the soak's test citizens' password); tests and benchmarks may hold the
passwords of the throwaway citizens they sign up, but never a real key or token.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Shapes of real credentials: flagged anywhere, tests included.
CREDENTIALS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=]{20}"),
    "AWS access key": re.compile(r"(?<![A-Z0-9])AKIA[0-9A-Z]{16}(?![A-Z0-9])"),
    "GitHub token": re.compile(r"gh[pousr]_[A-Za-z0-9]{36}"),
    "Slack token": re.compile(r"xox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"AIza[0-9A-Za-z_-]{35}"),
    "JSON web token": re.compile(r"eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}"),
    "agency API key": re.compile(r"mppak_[A-Za-z0-9]{6,}_[\w-]{30,}"),
    "auditor API key": re.compile(r"mppa_[\w-]{40,}"),
    "webhook secret": re.compile(r"whsec_[A-Za-z0-9+/=]{24,}"),
}
# A password, secret or token given a literal value in code or configuration.
LITERAL = re.compile(
    r"""(password|passwd|secret|token|api_key)["']?\s*[:=]\s*["']([^"'${}\s<>]{6,})["']""",
    re.IGNORECASE,
)
# Documented local-only defaults (docs/settings.md, ops/soak.py), the tokens of the local
# stand-ins started on free ports (ops/simulators/running.py) and the README's example
# citizen's password: not secrets anywhere.
ALLOWED_LITERALS = {
    "local-provider-token",
    "kata-sandi-uji-beban",
    "kata-sandi-rahasia",
    "test-dukcapil-token",
    "test-provider-token",
    "test-lapor-token",
}
# Tests and benchmarks sign up throwaway citizens on a local stack with literal passwords.
THROWAWAY_ACCOUNTS = ("tests/", "bench/")
# Published test vectors (the Standard Webhooks specification's example secret).
PUBLIC_TEST_VECTORS = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
NEVER_COMMITTED = re.compile(r"(^|/)(\.env|.*\.pem|.*\.key|id_rsa.*|secrets/.+)$")


def committable_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return [name for name in listed if name and (ROOT / name).is_file()]


def findings(name: str, text: str) -> list[str]:
    found = [
        f"{name}: {label}"
        for label, shape in CREDENTIALS.items()
        for match in shape.finditer(text)
        if match.group(0) not in PUBLIC_TEST_VECTORS
    ]
    if not name.startswith(THROWAWAY_ACCOUNTS):
        found += [
            f"{name}: literal {match.group(1)}"
            for match in LITERAL.finditer(text)
            if match.group(2) not in ALLOWED_LITERALS
        ]
    return found


def test_no_file_git_would_commit_holds_a_key_token_or_password_literal():
    files = committable_files()
    assert len(files) > 100
    problems = [f"{name}: a file of secrets" for name in files if NEVER_COMMITTED.search(name)]
    for name in files:
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        problems += findings(name, text)
    assert problems == []


def test_the_scan_recognises_the_secrets_it_is_meant_to_catch():
    planted = {
        "services/x.py": 'SMTP_PASSWORD = "hunter2hunter2"',
        "deploy/a.yml": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+abcdefghij",
        "tests/test_x.py": "key = 'mppak_ab12cd34_" + "x" * 43 + "'",
    }
    assert all(findings(name, text) for name, text in planted.items())
    assert findings("tests/test_y.py", 'password = "kata-sandi-rahasia"') == []
    assert findings("docs/settings.md", 'token = "local-provider-token"') == []

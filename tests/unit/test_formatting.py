"""One formatting rule: black formats every Python file, with no line switched off."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SWITCHED_OFF = re.compile(r"#\s*fmt:\s*(skip|off)\b")


def test_no_python_line_is_exempt_from_black():
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    exempt = [
        f"{path}:{number}"
        for path in tracked
        for number, line in enumerate((REPO / path).read_text().splitlines(), 1)
        if SWITCHED_OFF.search(line)
    ]
    assert exempt == [], f"black is switched off on {len(exempt)} lines: {exempt[:5]}"


def test_no_tracked_file_holds_merge_conflict_markers():
    # A merge once committed bench/RESULTS.md with both sides and their markers in it
    found = subprocess.run(
        ["git", "grep", "-n", "-I", "-E", "^(<<<<<<<|>>>>>>>)( |$)|^=======$"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert found.returncode == 1, f"conflict markers left in:\n{found.stdout[:2000]}"

"""The alarm's debugging report, read in a real browser: headless Chromium (Debian's package)
loads the page, and its screenshot (kept under build/artifacts/ for CI) shows every chart."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mushroom.alarm_report import COLOURS, AlarmFacts, render

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts"
# Pixels of a chart's colour that show it was drawn (a legend swatch alone is ~500).
DRAWN = 2000


def report(minute: int, edible: int, f1: float) -> dict:
    """One monitor report.json, as lambdas/monitor/monitor_job.py writes it."""
    return {
        "generated_at": f"2026-11-30T19:{minute:02d}:00+00:00",
        "volume": {"decisions": {"edible": edible, "poisonous": 30, "unsure": 5}},
        "quality": {
            "status": "ok",
            "count": 40,
            "f1": f1,
            "served_false_edible_rate": 1 - f1,
            "confusion": {"tp": 20, "fn": 10, "fp": 2, "tn": 8},
            "served_confusion": {"edible/p": 6, "edible/e": 8},
            "error_groups": [
                {"feature": "cap-color", "value": "w", "errors": 9, "labelled": 20},
                {"feature": "habitat", "value": "d", "errors": 4, "labelled": 12},
            ],
        },
        "drift": {
            "status": "ok",
            "psi": {"cap-diameter": 0.9, "cap-shape": 0.1, "habitat": 0.4, "season": 0.05},
        },
    }


def shadow(minute: int) -> dict:
    """A monitor report's shadow section: version 3 scored beside champion 2, then retired."""
    figures = {
        "scored": 120,
        "agreed": 111,
        "agreement": 0.925,
        "edible_where_champion_poisonous": 4,
        "labelled": 40,
        "champion_false_edible": 0,
        "challenger_false_edible": 2,
        "champion_edible_confirmed": 17,
        "challenger_edible_confirmed": 18,
        "timed": 100,  # 20 lines logged before the timing
        "champion_booster_us": 100 * 5.0,
        "challenger_booster_us": 100 * 7.5,
    }
    status = 'challenger version 3 retired: it answered "edible" for 2 specimen(s) that feedback'
    return {
        "status": status,
        "challenger_version": "3",
        "champion_version": "2",
        "figures": figures,
    }


def page(with_challenger: bool = True) -> str:
    alarm = AlarmFacts(
        "mushroom-served-false-edible-high",
        "Threshold Crossed: 1 datapoint [0.3] was greater than the threshold (0.01)",
        "2026-11-30T19:05:00+00:00",
        {"switch-back": "version 1 serves again in place of version 2"},
    )
    history = [report(m, 20 + 5 * m, 0.95 - 0.05 * m) for m in range(6)]
    if with_challenger:
        history[3]["shadow"] = shadow(3)
        history[4]["shadow"] = {"status": "no challenger in shadow"}
    return render(alarm, history, champion="2")


def test_the_page_says_what_fired():
    text = page()
    assert "mushroom-served-false-edible-high" in text and "2026-11-30T19:05:00" in text
    assert "version 1 serves again" in text
    assert "cap-color=w" in text and "Chart.js v4" in text


def test_champion_and_challenger_side_by_side_from_the_newest_comparison():
    text = page()
    # The newest report that compared them (later ones may have no challenger left)
    assert "Monitor at 2026-11-30T19:03:00+00:00: challenger version 3 retired" in text
    assert "champion (version 2)</th><th>challenger (version 3)" in text
    row = "<tr><td>&quot;edible&quot; where feedback says poisonous</td><td>0</td><td>2</td></tr>"
    assert row in text
    assert "<tr><td>booster µs per specimen</td><td>5</td><td>7.5</td></tr>" in text
    # Without any comparison in the history, the page says so and shows the champion alone
    alone = page(with_challenger=False)
    assert "No challenger in shadow in these reports." in alone
    assert "challenger (version" not in alone and "champion (version 2)" in alone


def colour_pixels(pixels, rgb: tuple[int, int, int], tolerance: int = 24) -> int:
    """How many pixels are within ``tolerance`` of the colour on every channel."""
    close = np.abs(pixels.astype(int) - np.array(rgb)) <= tolerance
    return int(close.all(axis=-1).sum())


def test_chromium_draws_every_chart():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    from PIL import Image

    # Given the page written where CI keeps its artifacts
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html, shot = ARTIFACTS / "alarm-report.html", ARTIFACTS / "alarm-report.png"
    html.write_text(page(), encoding="utf-8")
    shot.unlink(missing_ok=True)
    # When headless Chromium loads it and takes a screenshot
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1000,2400",
            f"--screenshot={shot}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # Then each chart's colour covers a drawn chart's worth of pixels
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    found = {
        name: colour_pixels(pixels, tuple(int(c) for c in rgb[4:-1].split(",")))
        for name, rgb in COLOURS.items()
    }
    assert all(count >= DRAWN for count in found.values()), found

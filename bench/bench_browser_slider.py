"""A slider move as the meeting sees it: real Chromium on a real server, from the key press to the plan.

Starts ``streamlit run app.py`` on a fresh database (the bundled sample), opens the Plan page at N
sprints in stable mode, then moves Capacity % one step at a time (105 ... 125 ... 100 %) and times,
for each move:

- **figures**: from the key press to the "Planned value" metric showing another figure (or, when the
  figure is the same, the end of the rerun): what the room sees first;
- **first plan**: from the key press to the end of the rerun it starts (the page shows a plan: the
  full one, or the quick one while the full search runs in the background);
- **full plan**: to the page showing the full plan (no "Searching for a better plan" left).

Each move waits for the full plan before the next. Prints each move, then median / p95 / max.

Two clocks: the script's (the wall time from Playwright's key press to Playwright seeing the page
change, so it includes the driver's round trips to the browser, tens of milliseconds on a busy
machine) and the page's own (``performance.now()`` from the key-down event in the page to the first
animation frame showing the change, watched in the page: what a person at the keyboard sees), for
the figures, the first plan and the full plan alike.

    python bench/bench_browser_slider.py                 # 3 sprints
    python bench/bench_browser_slider.py --sprints 1
    python bench/bench_browser_slider.py --chromium /usr/bin/chromium --moves 10
    python bench/bench_browser_slider.py --pause 8      # the room talks 8 s between moves
    python bench/bench_browser_slider.py --look 30     # ... and 30 s over the first plan
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
SEARCHING = "Searching for a better plan"
# Capacity % steps of 5 from 100 %: up to 125 %, back down to 100 %.
MOVES = ("ArrowRight",) * 5 + ("ArrowLeft",) * 5


def _server(folder: Path) -> tuple[str, subprocess.Popen]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port)]
        + ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO,
        env={**os.environ, "PLANNER_DB": str(folder / "planner.duckdb")},
        stdout=(folder / "streamlit.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return url, process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"streamlit did not start: {(folder / 'streamlit.log').read_text()[-2000:]}")


# True once the app has been seen running since the key press and is no longer running.
_RERUN_DONE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const running = app === null || app.getAttribute('data-test-script-state') !== 'notRunning';
    if (running) { window.__seenRunning = true; return false; }
    return window.__seenRunning === true;
}"""


# True once the "Planned value" metric shows another figure than window.__before (or the rerun is done).
_FIGURES_CHANGED = """() => {
    const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .find(element => element.innerText.includes('Planned value'));
    const app = document.querySelector('[data-testid="stApp"]');
    if (app !== null && app.getAttribute('data-test-script-state') !== 'notRunning') { window.__seenRunning = true; }
    const done = window.__seenRunning === true && app.getAttribute('data-test-script-state') === 'notRunning';
    return done || (metric !== undefined && metric.innerText !== window.__before);
}"""


# In the page: the key-down time, then each animation frame until the full plan is shown, the frame
# times of the first changed figure, of the end of the rerun and of the full (settled) plan: the end
# of a rerun with no "Searching for a better plan" note (window.__pageTimes).
_PAGE_CLOCK = """(searching) => {
    window.__pageTimes = null;
    const metricText = () => {
        const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
            .find(element => element.innerText.includes('Planned value'));
        return metric === undefined ? null : metric.innerText;
    };
    const before = metricText();
    document.addEventListener('keydown', () => {
        const pressed = performance.now();
        let seenRunning = false, figures = null, first = null;
        const frame = now => {
            const app = document.querySelector('[data-testid="stApp"]');
            const running = app === null || app.getAttribute('data-test-script-state') !== 'notRunning';
            seenRunning = seenRunning || running;
            if (figures === null && metricText() !== before) { figures = now - pressed; }
            if (seenRunning && !running) {
                first = first ?? now - pressed;
                if (!document.body.innerText.includes(searching)) {
                    window.__pageTimes = {
                        figures: (figures ?? first) / 1000, first: first / 1000, settled: (now - pressed) / 1000,
                    };
                    return;
                }
            }
            requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
    }, {capture: true, once: true});
}"""


def _full_plan_shown(page) -> bool:
    idle = page.get_by_test_id("stApp").get_attribute("data-test-script-state") == "notRunning"
    return idle and page.get_by_text(SEARCHING).count() == 0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sprints", type=int, default=3)
    parser.add_argument("--moves", type=int, default=len(MOVES))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.8,
        help="seconds between the full plan and the next move (the room talking; the default lets the "
        "fragment's last poll go by, and the full plans a step ahead take about 3 s each at 3 sprints)",
    )
    parser.add_argument(
        "--look",
        type=float,
        default=None,
        help="seconds the room looks at the first plan before the first move (default: the pause, at least 1.5)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        url, server = _server(Path(folder))
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{url}/plan")
            page.get_by_text("Planned value").first.wait_for(timeout=120_000)
            token = dict(part.split("=", 1) for part in page.url.split("?", 1)[1].split("&"))["scenario"]
            page.goto(f"{url}/plan?scenario={token}&sprints={args.sprints}")
            page.get_by_text("Planned value").first.wait_for(timeout=120_000)
            page.wait_for_function(f"() => !document.body.innerText.includes({SEARCHING!r})", timeout=120_000)
            look = max(1.5, args.pause) if args.look is None else args.look
            page.wait_for_timeout(look * 1000)  # the room looks at the first plan too
            slider = page.get_by_test_id("stSlider").filter(has_text="Capacity %").get_by_role("slider")
            firsts, fulls, figures, page_figures, page_firsts, page_settled = [], [], [], [], [], []
            for number, key in enumerate((MOVES * 3)[: args.moves], start=1):
                page.evaluate(
                    """() => { window.__seenRunning = false; window.__before = [...document.querySelectorAll(
                        '[data-testid="stMetric"]')].find(e => e.innerText.includes('Planned value')).innerText; }"""
                )
                slider.focus()
                page.evaluate(_PAGE_CLOCK, SEARCHING)
                started = time.perf_counter()
                page.keyboard.press(key)
                page.wait_for_function(_FIGURES_CHANGED, timeout=60_000, polling="raf")
                figure = time.perf_counter() - started
                page.wait_for_function(_RERUN_DONE, timeout=60_000, polling="raf")
                first = time.perf_counter() - started
                quick = page.get_by_text(SEARCHING).count() > 0
                while not _full_plan_shown(page):
                    page.wait_for_timeout(20)
                full = time.perf_counter() - started
                page_clock = page.wait_for_function("() => window.__pageTimes", timeout=10_000).json_value()
                page_figures.append(page_clock["figures"])
                page_firsts.append(page_clock["first"])
                page_settled.append(page_clock["settled"])
                firsts.append(first)
                fulls.append(full)
                figures.append(figure)
                value = page.locator('[data-testid="stMetric"]', has_text="Planned value").inner_text().split()[-1]
                print(
                    f"move {number:2d} {key:10s} figures {figure:5.2f} s first plan {first:5.2f} s"
                    f"{' (quick)' if quick else '        '} full plan {full:5.2f} s  value {value}"
                    f"  | page clock: figures {page_clock['figures']:5.2f} s first plan {page_clock['first']:5.2f} s"
                    f" full plan {page_clock['settled']:5.2f} s"
                )
                page.wait_for_timeout(args.pause * 1000)  # at least the fragment's last poll and the live check
        finally:
            browser.close()
            server.terminate()
            server.wait(timeout=10)
    for name, values in (
        ("figures", figures),
        ("first plan", firsts),
        ("full plan", fulls),
        ("page clock, figures", page_figures),
        ("page clock, first plan", page_firsts),
        ("page clock, full plan", page_settled),
    ):
        print(
            f"{name}: median {statistics.median(values):.2f} s, p95 {_percentile(values, 0.95):.2f} s, "
            f"max {max(values):.2f} s over {len(values)} moves at {args.sprints} sprint(s)"
        )


if __name__ == "__main__":
    main()

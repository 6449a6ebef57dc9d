"""Capacity of one server, measured: N browser sessions moving Capacity % at the same time.

Starts ``streamlit run app.py`` (one replica on a fresh DuckDB file, or several replicas on one
PostgreSQL database), then for each N opens N real Chromium sessions on one scenario (session i on
replica i % replicas), each at ``/plan?scenario=<edit token>&sprints=S&capacity=C``, and has every
session move Capacity % one step (one key press) per round, all sessions in a round at once (a
barrier). Per move, timed in the browser from the key press (the keydown event's own time stamp):

- **settle**: to the end of the rerun the move starts, the page showing a plan for the new position
  (the full one, or the quick one with "Searching for a better plan and its proof");
- **full**: to the page showing the full plan (no "Searching for a better plan" left).

The page's URL follows the sliders (``capacity=`` is set during the move's rerun), so "settled" is
the first moment the URL names the new position and the app is not running: a live-refresh fragment
run (every 2 s) or a full-plan poll (every 0.5 s) cannot be taken for the move's rerun.

    python bench/bench_load.py --sessions 1 5 10 20                      # one replica, fresh DuckDB file
    python bench/bench_load.py --sessions 1 5 10 20 --replicas 2 --database postgresql://postgres@127.0.0.1:5432/test
    python bench/bench_load.py --sessions 1 2 --moves 2 --json /tmp/load.json

Each N runs on its own copy of the bundled sample (saved before the servers start), so the plans
kept by one N's moves do not make the next N's free. With ``--start spread`` (the default) session i
opens at its own Capacity % (100, 95, 105, 90, 110, ...), so its baseline, and so every plan it asks
for, is its own: N sessions are N sessions' work. ``--start same``: every session opens at 100 % and
makes the same moves, and asks for the same plans (kept once in the database, shared).
Nothing is saved into the scenarios: slider moves stay in their session (checked at the end).

Set-up: PostgreSQL gets a fresh schema (``bench_load_<random>``, passed to the servers as
``?options=-csearch_path%3D<schema>`` in ``PLANNER_DB``, dropped at the end); the sample and the
copies are saved, and their edit links made, before any server starts (a DuckDB file is opened by
one process at a time; on a server this also leaves no first-start race); the replicas start one
after the other, each waited for on ``/_stcore/health``; then one browser opens the sample's plan on
every replica (warm-up: imports, solver workers). Servers run with no file watcher, as deployed.

The load generator shares the machine: each group of ``--per-browser`` sessions is one thread with
its own Playwright (a Node driver) and Chromium, so N = 20 with the default is 20 drivers and 20
Chromiums on the same cores as the servers; ``--browser-nice 10`` runs them niced, so the servers get
the cores first (as if the browsers were on the users' laptops), ``--per-browser 5`` shares one
Chromium among five sessions (a context each). Each line also gives the servers' CPU seconds (their
process groups: app, solver workers, CBC) and how busy the whole machine was, to tell the two apart.
A move without its full plan within ``--timeout`` is a failure, counted; the run goes on.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_browser_slider import REPO, SEARCHING, _percentile

from planner.sample import SAMPLE_NAME, create_sample, ensure_sample
from planner.store import Store, is_server_url

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Every session's page must keep drawing and timing while another has the focus.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
CAPACITY_RANGE, CAPACITY_STEP = (50, 150), 5  # the Capacity % slider (pages/_state.py)
SCHEMA_PREFIX = "bench_load_"

# Installed before each key press: times, in the page, the keydown and the moments the page settles on
# the new position (URL capacity = target, app not running) and shows its full plan (and no search note).
_WATCH = """([searching, target]) => {
    if (window.__benchStop) { window.__benchStop(); }
    const w = {down: null, first: null, full: null, quick: null};
    window.__bench = w;
    const running = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app === null || app.getAttribute('data-test-script-state') !== 'notRunning';
    };
    const atTarget = () => Number(new URLSearchParams(window.location.search).get('capacity')) === target;
    const searchingShown = () => [...document.querySelectorAll('[data-testid="stAlert"]')]
        .some(element => element.textContent.includes(searching));
    let stopped = false, timer = null, observer = null;
    const stop = () => { stopped = true; clearInterval(timer); if (observer) { observer.disconnect(); } };
    window.__benchStop = stop;
    const check = () => {
        if (stopped || w.down === null || running() || !atTarget()) { return; }
        const now = performance.now();
        const searchingNow = searchingShown();
        if (w.first === null) { w.first = now; w.quick = searchingNow; }
        if (!searchingNow) { w.full = now; stop(); }
    };
    const frame = () => { check(); if (!stopped) { requestAnimationFrame(frame); } };
    document.addEventListener('keydown', event => {
        if (w.down === null) { w.down = event.timeStamp; }
    }, {capture: true, once: true});
    const app = document.querySelector('[data-testid="stApp"]');
    if (app !== null) {
        observer = new MutationObserver(check);
        observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }
    timer = setInterval(check, 25);
    requestAnimationFrame(frame);
}"""

_READ = """() => {
    const w = window.__bench;
    return w ? {down: w.down, first: w.first, full: w.full, quick: w.quick} : null;
}"""

# The page on opening: the plan at the link's position, its full plan, the app idle.
_OPENED = """([searching, target]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app === null || app.getAttribute('data-test-script-state') !== 'notRunning') { return false; }
    if (Number(new URLSearchParams(window.location.search).get('capacity')) !== target) { return false; }
    const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .some(element => element.textContent.includes('Planned value'));
    const searching_ = [...document.querySelectorAll('[data-testid="stAlert"]')]
        .some(element => element.textContent.includes(searching));
    return metric && !searching_;
}"""


# --- servers and database ------------------------------------------------------------------------


def _niced(chromium: str, niceness: int, folder: Path) -> str:
    """A launcher of ``chromium`` at ``niceness`` (Playwright starts it and talks to it on inherited pipes)."""
    launcher = folder / "chromium-niced"
    launcher.write_text(f'#!/bin/sh\nexec nice -n {niceness} {chromium} "$@"\n')
    launcher.chmod(0o755)
    return str(launcher)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path


def _start_server(target: str, log: Path) -> Server:
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none", "--server.runOnSave", "false"]  # as deployed: no file watching
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, "PLANNER_DB": target},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the solver workers it starts are stopped with it
    )
    return Server(f"http://127.0.0.1:{port}", process, log)


def _wait_healthy(server: Server, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"streamlit did not start at {server.url}:\n{server.log.read_text()[-2000:]}")


def _stop_server(server: Server) -> None:
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
    try:  # solver workers left behind in its group
        os.killpg(server.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _with_search_path(url: str, schema: str) -> str:
    """``url`` with ``options=-csearch_path=<schema>`` (libpq's URI query), so every connection uses the schema."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(name == "options" for name, _ in query):
        raise SystemExit("--database already has options=: give the URL without it (the script sets search_path)")
    query.append(("options", f"-csearch_path={schema}"))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, quote_via=urllib.parse.quote)))


def _create_schema(url: str) -> str:
    import psycopg

    schema = f"{SCHEMA_PREFIX}{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    return schema


def _drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@dataclass
class Scenarios:
    sample_token: str  # the sample's edit link: the warm-up visits it
    copies: dict[int, tuple[str, str]]  # N -> (scenario id, edit token), one fresh copy of the sample per N


def _prepare_scenarios(target: str, sessions: list[int]) -> Scenarios:
    """The sample (saved as the app saves it on first start) and one copy of it per N, with their edit links.

    Done before any server starts: a DuckDB file is opened by one process at a time.
    """
    with Store(target) as store:
        ensure_sample(store)
        sample = next((s.id for s in store.list() if s.name == SAMPLE_NAME), None)
        if sample is None:
            sample = create_sample(store, author="load bench")
        copies = {}
        for count in dict.fromkeys(sessions):
            copy = store.duplicate(sample, f"Load bench, {count} sessions", author="load bench")
            copies[count] = (copy, store.links(copy).edit)
        return Scenarios(store.links(sample).edit, copies)


def _check_nothing_saved(target: str, scenarios: Scenarios, *, purge: bool) -> list[str]:
    """The copies' versions (still 1: no session saved into them); purge them when asked (a user's DuckDB file)."""
    problems = []
    with Store(target) as store:
        versions = {summary.id: summary.version for summary in store.list()}
        for count, (scenario_id, _) in scenarios.copies.items():
            if versions.get(scenario_id) != 1:
                problems.append(f"N={count}: the scenario is at version {versions.get(scenario_id)}, not 1")
            if purge:
                store.delete(scenario_id, author="load bench")
                store.purge(scenario_id)
    return problems


# --- sessions ------------------------------------------------------------------------------------


def _start_capacities(count: int, mode: str) -> list[int]:
    """Where each session opens: 100 %, or 100, 95, 105, 90, 110 ... (each session its own baseline)."""
    if mode == "same":
        return [100] * count
    low, high = CAPACITY_RANGE
    positions = [100]
    for step in range(1, (high - low) // CAPACITY_STEP + 1):
        positions += [p for p in (100 - step * CAPACITY_STEP, 100 + step * CAPACITY_STEP) if low <= p <= high]
    return [positions[index % len(positions)] for index in range(count)]


def _move_plan(start: int, count: int) -> list[tuple[str, int]]:
    """``count`` key presses from ``start``: five steps one way (up from 100 % and below, down above), five
    back, turning at the slider's ends; each with the position it lands on."""
    low, high = CAPACITY_RANGE
    direction = 1 if start <= 100 else -1
    position, moves = start, list[tuple[str, int]]()
    while len(moves) < count:
        for _ in range(5):
            if not low <= position + direction * CAPACITY_STEP <= high:
                direction = -direction
            position += direction * CAPACITY_STEP
            moves.append(("ArrowRight" if direction > 0 else "ArrowLeft", position))
            if len(moves) == count:
                break
        direction = -direction
    return moves


@dataclass
class Move:
    sessions: int
    replicas: int
    session: int
    replica: int
    round: int
    key: str
    capacity: int  # the position the move goes to
    settle: float | None = None  # seconds, key press to the end of the move's rerun (a plan on screen)
    full: float | None = None  # seconds, key press to the full plan on screen
    quick: bool | None = None  # the rerun showed the quick plan (the full one came later)
    slider: str | None = None  # the slider's value after the move (its <input type=range> value)
    error: str | None = None  # timeout, or what went wrong


@dataclass
class Session:
    index: int
    replica: int
    url: str
    start: int
    moves: list[tuple[str, int]]
    opened: float | None = None  # seconds from goto to the full plan at the start position
    error: str | None = None
    page: Page | None = field(default=None, repr=False)
    results: list[Move] = field(default_factory=list, repr=False)


def _open(browser: Browser, session: Session, timeout: float) -> None:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(session.url, timeout=timeout * 1000)
    page.wait_for_function(_OPENED, arg=[SEARCHING, session.start], timeout=timeout * 1000, polling=100)
    session.opened = time.perf_counter() - started
    session.page = page


def _why(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:200] if lines else ''}"


def _slider(page: Page):
    return page.get_by_test_id("stSlider").filter(has_text="Capacity %").get_by_role("slider")


def _round(sessions: list[Session], number: int, count: int, replicas: int, timeout: float) -> None:
    """One key press in each live session of this thread, then wait for every one's full plan."""
    pending: list[tuple[Session, Move]] = []
    for session in sessions:
        if session.page is None:
            continue
        key, capacity = session.moves[number]
        move = Move(count, replicas, session.index, session.replica, number + 1, key, capacity)
        session.results.append(move)
        try:
            session.page.evaluate(_WATCH, [SEARCHING, capacity])
            _slider(session.page).focus(timeout=timeout * 1000)
            session.page.keyboard.press(key)
            pending.append((session, move))
        except Exception as error:
            move.error = _why(error)
    deadline = time.monotonic() + timeout
    while pending:
        time.sleep(0.1)  # timing is done in the page: this poll only finds out when the round is over
        for session, move in list(pending):
            assert session.page is not None
            try:
                seen = session.page.evaluate(_READ)
            except Exception as error:
                move.error = _why(error)
                pending.remove((session, move))
                continue
            if seen and seen["down"] is not None and seen["first"] is not None:
                move.settle = (seen["first"] - seen["down"]) / 1000
                move.quick = bool(seen["quick"])
            if seen and seen["down"] is not None and seen["full"] is not None:
                move.full = (seen["full"] - seen["down"]) / 1000
                pending.remove((session, move))
        if time.monotonic() > deadline:
            for _, move in pending:
                move.error = "timeout: no plan" if move.settle is None else "timeout: no full plan"
            break
    for session in sessions:
        if session.page is not None and session.results and session.results[-1].round == number + 1:
            try:
                value = _slider(session.page).evaluate("element => element.value", timeout=5000)
                session.results[-1].slider = str(value)
            except Exception:
                pass


def _group(
    sessions: list[Session],
    args: argparse.Namespace,
    barrier: threading.Barrier,
    count: int,
) -> None:
    """One thread: its own Playwright and Chromium, its sessions' contexts; the rounds in step with the others."""
    manager = browser = None
    try:
        manager = sync_playwright().start()
        browser = manager.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for session in sessions:
            try:
                _open(browser, session, args.open_timeout)
            except Exception as error:
                session.error = f"open: {_why(error)}"
    except Exception as error:
        for session in sessions:
            session.error = session.error or f"browser: {_why(error)}"
            session.page = None
    try:
        time.sleep(1.0)  # let the page's first live check and full-plan poll go by
        for number in range(args.moves):
            # The slowest thread opens its sessions one after the other, then takes a round's timeout.
            barrier.wait(timeout=args.per_browser * args.open_timeout + args.timeout + 60)
            try:
                _round(sessions, number, count, args.replicas, args.timeout)
            except Exception as error:  # counted on the round's moves; this thread stays in step
                for session in sessions:
                    if session.results and session.results[-1].round == number + 1:
                        session.results[-1].error = session.results[-1].error or _why(error)
            time.sleep(args.pause)  # the room talks between moves (and the last polls go by)
    except threading.BrokenBarrierError:
        for session in sessions:
            session.error = session.error or "barrier broken (another thread failed)"
    finally:
        if browser is not None:
            try:
                browser.close()
            except Exception:
                pass
        if manager is not None:
            manager.stop()


def _warm_up(args: argparse.Namespace, servers: list[Server], token: str) -> None:
    """Open the sample's plan once on every replica: imports, solver workers and caches as after a first user."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            for server in servers:
                session = Session(-1, 0, f"{server.url}/plan?scenario={token}&sprints={args.sprints}", 100, [])
                _open(browser, session, args.open_timeout)
                assert session.page is not None
                session.page.context.close()
        finally:
            browser.close()


def _measure(args: argparse.Namespace, servers: list[Server], count: int, token: str) -> tuple[list[Session], float]:
    starts = _start_capacities(count, args.start)
    sessions = []
    for index in range(count):
        replica = index % len(servers)
        query = f"scenario={token}&sprints={args.sprints}&capacity={starts[index]}"
        url = f"{servers[replica].url}/plan?{query}"
        sessions.append(Session(index, replica, url, starts[index], _move_plan(starts[index], args.moves)))
    groups = [sessions[at : at + args.per_browser] for at in range(0, count, args.per_browser)]
    barrier = threading.Barrier(len(groups))
    threads = [threading.Thread(target=_group, args=(group, args, barrier, count), daemon=True) for group in groups]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sessions, time.perf_counter() - started


def _cpu_seconds(groups: set[int]) -> tuple[float, float]:
    """CPU seconds used so far by the processes of ``groups`` (the servers, their solver workers and the
    children they waited for), and by the whole machine (busy, all cores)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[2]) in groups:  # pgrp; then utime, stime, cutime, cstime
            used += sum(int(value) for value in fields[11:15])
    times = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = sum(times) - times[3] - times[4]  # all but idle and iowait
    return used / tick, busy / tick


# --- report --------------------------------------------------------------------------------------


def _summary(replicas: int, count: int, sessions: list[Session], moves: int) -> dict[str, Any]:
    results = [move for session in sessions for move in session.results]
    settles = [move.settle for move in results if move.settle is not None]
    fulls = [move.full for move in results if move.full is not None]
    opened = [session.opened for session in sessions if session.opened is not None]
    expected = count * moves
    return {
        "replicas": replicas,
        "sessions": count,
        "moves_expected": expected,
        "moves_settled": len(settles),
        "moves_full": len(fulls),
        "quick": sum(1 for move in results if move.quick),
        "settle_p50": _percentile(settles, 0.5) if settles else None,
        "settle_p95": _percentile(settles, 0.95) if settles else None,
        "settle_max": max(settles) if settles else None,
        "full_p50": _percentile(fulls, 0.5) if fulls else None,
        "full_p95": _percentile(fulls, 0.95) if fulls else None,
        "full_max": max(fulls) if fulls else None,
        "open_p50": _percentile(opened, 0.5) if opened else None,
        "open_max": max(opened, default=None),
        "failures": expected - len(fulls),  # moves without a full plan: timeouts, errors, sessions that never opened
        "timeouts": sum(1 for move in results if move.error and move.error.startswith("timeout")),
        "sessions_failed": sum(1 for s in sessions if s.error),
        "wrong_slider": sum(1 for m in results if m.slider is not None and m.slider != str(m.capacity)),
    }


def _print_summary(summary: dict[str, Any], seconds: float) -> None:
    def f(name: str) -> str:
        value = summary[name]
        return "   -  " if value is None else f"{value:6.2f}"

    wrong = summary["wrong_slider"]
    print(
        f"replicas {summary['replicas']}  N {summary['sessions']:3d}  moves {summary['moves_settled']:3d}"
        f"/{summary['moves_expected']:<3d} settle p50 {f('settle_p50')} p95 {f('settle_p95')} max {f('settle_max')} s"
        f" | full p50 {f('full_p50')} p95 {f('full_p95')} max {f('full_max')} s ({summary['quick']} quick)"
        f" | open p50 {f('open_p50')} max {f('open_max')} s | failures {summary['failures']}"
        f" (timeouts {summary['timeouts']}, sessions {summary['sessions_failed']}"
        f"{f', slider elsewhere {wrong}' if wrong else ''})"
        f" | {seconds:.0f} s, servers' CPU {summary['server_cpu_seconds']:.0f} s,"
        f" machine busy {100 * summary['machine_busy_share']:.0f} %",
        flush=True,
    )


def _library_state() -> str:
    def git(*words: str) -> str:
        try:
            return subprocess.run(["git", *words], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    dirty = git("status", "--porcelain", "planner", "pages", "app.py")
    return f"{git('rev-parse', '--short', 'HEAD') or '?'}{'+' if dirty else ''}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20], help="N, one run each")
    parser.add_argument("--replicas", type=int, default=1, help="app servers; 2 or more need --database postgresql://")
    parser.add_argument("--database", help="postgresql://... (a fresh schema is made and dropped) or a DuckDB file")
    parser.add_argument("--moves", type=int, default=5, help="key presses per session (one step each)")
    parser.add_argument("--sprints", type=int, default=3, help="the link's sprints= what-if")
    parser.add_argument("--start", choices=("spread", "same"), default="spread", help="where sessions open")
    parser.add_argument("--per-browser", type=int, default=1, help="sessions per Chromium (and per thread)")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds a move may take to its full plan")
    parser.add_argument("--open-timeout", type=float, default=180.0, help="seconds a session may take to open")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds after a session's round before the next")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=0,
        help="run the Chromiums at this niceness, so the servers get the cores first (browsers on users' laptops)",
    )
    parser.add_argument("--json", type=Path, help="write every move's timings here")
    args = parser.parse_args()
    if args.replicas < 1 or args.per_browser < 1 or args.moves < 1 or min(args.sessions) < 1:
        parser.error("--replicas, --per-browser, --moves and --sessions must be at least 1")
    server_db = args.database is not None and is_server_url(args.database)
    if args.replicas > 1 and not server_db:
        parser.error(
            f"--replicas {args.replicas} needs --database postgresql://...: a DuckDB file is opened by one "
            "process at a time, so replicas cannot share one"
        )
    if server_db:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            parser.error("a PostgreSQL --database needs psycopg: pip install -e '.[postgres]'")

    servers: list[Server] = []
    schema = None
    scenarios = None
    report: dict[str, Any] = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    with tempfile.TemporaryDirectory(prefix="bench_load_") as folder:
        try:
            if server_db:
                schema = _create_schema(args.database)
                target = _with_search_path(args.database, schema)
                where = f"PostgreSQL, schema {schema}"
            else:
                target = args.database or str(Path(folder) / "planner.duckdb")
                where = f"DuckDB {target}"
            print(
                f"planner {_library_state()}, {args.replicas} replica(s) on {where}, {args.sprints} sprint(s), "
                f"{args.moves} move(s) a session, start {args.start}, {args.per_browser} session(s) per Chromium, "
                f"Chromium at niceness {args.browser_nice}, {os.cpu_count()} cores",
                flush=True,
            )
            if args.browser_nice:
                args.chromium = _niced(args.chromium, args.browser_nice, Path(folder))
            scenarios = _prepare_scenarios(target, args.sessions)
            for replica in range(args.replicas):  # one after the other: each finds the schema and sample made
                servers.append(_start_server(target, Path(folder) / f"streamlit-{replica}.log"))
                _wait_healthy(servers[-1])
            _warm_up(args, servers, scenarios.sample_token)
            report["runs"] = []
            for count in args.sessions:
                groups = {server.process.pid for server in servers}
                server_before, machine_before = _cpu_seconds(groups)
                sessions, seconds = _measure(args, servers, count, scenarios.copies[count][1])
                server_after, machine_after = _cpu_seconds(groups)
                summary = _summary(args.replicas, count, sessions, args.moves)
                summary["server_cpu_seconds"] = server_after - server_before
                summary["machine_busy_share"] = (machine_after - machine_before) / (seconds * (os.cpu_count() or 1))
                _print_summary(summary, seconds)
                for session in sessions:
                    if session.error:
                        print(f"  session {session.index} (replica {session.replica}): {session.error}")
                report["runs"].append(
                    {
                        "summary": summary,
                        "seconds": seconds,
                        "sessions": [
                            {
                                "index": s.index,
                                "replica": s.replica,
                                "start": s.start,
                                "opened": s.opened,
                                "error": s.error,
                                "moves": [asdict(move) for move in s.results],
                            }
                            for s in sessions
                        ],
                    }
                )
        finally:
            for server in servers:
                _stop_server(server)
            for server in servers:
                errors = server.log.read_text(errors="replace").count("Traceback") if server.log.exists() else 0
                if errors:
                    print(f"{server.url}: {errors} traceback(s) in the server log; its end:")
                    print(server.log.read_text(errors="replace")[-3000:])
            if scenarios is not None:
                try:
                    for problem in _check_nothing_saved(target, scenarios, purge=bool(args.database) and not server_db):
                        print(f"saved into the scenario (should not be): {problem}")
                except Exception as error:
                    print(f"could not check the scenarios afterwards: {error}")
            if schema is not None:
                _drop_schema(args.database, schema)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
        print(f"timings written to {args.json}")


if __name__ == "__main__":
    main()

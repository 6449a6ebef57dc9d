"""Ingest speed: our reader (calamine) against openpyxl on a large backlog, very wide and very long CSV
exports, and the real Jira exports.

Run: ``python bench/bench_ingest.py``. Prints seconds per step; not part of the test run.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pandas as pd

from planner.ingest import read_backlog
from planner.ingest.read import read_grids

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "real-backlogs"


def timed(action, repeat: int = 3) -> float:
    """Median seconds of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def write_backlog(path: Path, rows: int) -> None:
    rng = random.Random(7)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Backlog")
    sheet.append(
        [
            "id",
            "title",
            "team",
            "effort:backend",
            "effort:ios",
            "business_value",
            "time_criticality",
            "risk_reduction",
            "moscow",
            "depends_on",
            "deadline",
            "status",
            "description",
        ]
    )
    for index in range(rows):
        sheet.append(
            [
                f"A-{index}",
                f"Item {index} with some words ü",
                f"pod-{index % 20}",
                rng.choice([1, 2, 3, 5]),
                rng.choice([None, 1, 2]),
                rng.choice([1, 2, 3, 5, 8]),
                rng.choice([1, 2, 3]),
                rng.choice([1, 2]),
                rng.choice(["Must", "Should", "Could", None]),
                f"A-{index - 1}" if index and index % 15 == 0 else None,
                None,
                "To Do",
                "A description " * 5,
            ]
        )
    workbook.save(path)


def write_wide_csv(path: Path, columns: int = 5_000, rows: int = 20) -> None:
    """A Jira-like export with thousands of custom-field columns, mostly empty (issue 11: took 38 s)."""
    rng = random.Random(7)
    extra = columns - 3
    header = ["Issue key", "Summary", "Story Points"] + [f"Custom field (Extra {n})" for n in range(extra)]
    lines = [",".join(header)]
    for index in range(rows):
        cells = [f"W-{index}", f"Item {index}", str(index % 5 + 1)]
        cells += ["x" if rng.random() < 0.1 else "" for _ in range(extra)]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_long_csv(path: Path, rows: int = 200_000) -> None:
    """A long backlog export: 10 columns, a dependency every 50 rows (issue 11: 200,000 rows)."""
    rng = random.Random(7)
    lines = ["id,title,team,effort,value,moscow,depends_on,deadline,type,labels"]
    for index in range(rows):
        lines.append(
            f"I-{index},Item number {index} with some text,Team {rng.randrange(20)},{rng.randint(1, 8)},"
            f"{rng.randint(1, 100)},{rng.choice(['Should', 'Could', ''])},"
            f"{f'I-{index - 1}' if index % 50 == 1 else ''},"
            f'{"2027-03-01" if index % 100 == 0 else ""},{rng.choice(["Story", "Bug", "Tech debt"])},"a, b"'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "backlog.xlsx"
        write_backlog(path, rows)
        print(f"{rows:,}-row xlsx, 13 columns ({path.stat().st_size / 1e6:.1f} MB)")
        print(f"  calamine grid read:            {timed(lambda: read_grids(path)):.2f} s")
        openpyxl_grid = timed(
            lambda: list(openpyxl.load_workbook(path, read_only=True, data_only=True)["Backlog"].values), 1
        )
        print(f"  openpyxl read-only grid read:  {openpyxl_grid:.2f} s")
        pandas_read = timed(lambda: pd.read_excel(path, dtype=str, engine="openpyxl"), 1)
        print(f"  pandas read_excel (openpyxl):  {pandas_read:.2f} s")
        print(f"  read_backlog (whole ingest):   {timed(lambda: read_backlog(path)):.2f} s")
        wide = Path(folder) / "wide.csv"
        write_wide_csv(wide)
        print(
            f"5,000-column CSV, 20 rows ({wide.stat().st_size / 1e3:.0f} KB): "
            f"read_backlog {timed(lambda: read_backlog(wide)):.2f} s"
        )
        long = Path(folder) / "long.csv"
        write_long_csv(long)
        print(
            f"200,000-row CSV, 10 columns ({long.stat().st_size / 1e6:.1f} MB): "
            f"read_backlog {timed(lambda: read_backlog(long), 1):.2f} s"
        )
    for name in ("jirasoftware.csv", "mesos.csv"):
        path = SHARED / name
        if path.exists():
            result = read_backlog(path)
            print(
                f"{name}: {len(result.table):,} items, {len(result.problems)} problems, "
                f"read_backlog {timed(lambda path=path: read_backlog(path)):.3f} s"
            )


if __name__ == "__main__":
    main()

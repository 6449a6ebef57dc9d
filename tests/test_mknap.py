"""The model reaches the published optima of OR-Library multidimensional knapsack instances, through the CLI.

As a backlog (shared/benchmarks/README.md): one item per MKP item (value = profit), one
``effort:r<j>`` column per constraint j; as capacity: one person per constraint, all on one team,
with skill ``r<j>`` and ``days_per_sprint = b_j``; one sprint, focus factor 1, buffer 0.
"""

from __future__ import annotations

import csv
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import write_xlsx

from planner.cli import main

BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "mknap"
MKNAP1_OPTIMA = [3800, 8706.1, 4015, 6120, 12400, 10618, 16537]


@dataclass(frozen=True)
class Instance:
    """``n`` items with ``profit``; ``weight[j][i]`` of item i in constraint j at most ``capacity[j]``."""

    profit: list[float]
    weight: list[list[float]]
    capacity: list[float]
    optimum: float

    @property
    def n(self) -> int:
        return len(self.profit)

    @property
    def m(self) -> int:
        return len(self.capacity)


def parse_instances(path: Path) -> list[Instance]:
    """OR-Library format: K, then per instance n m optimum, n profits, m rows of n weights, m capacities."""
    if not path.exists():
        pytest.skip(f"benchmark file {path} is missing (OR-Library mknap files live in shared/benchmarks/mknap)")
    tokens = path.read_text().split()
    position = 0

    def take(count: int) -> list[float]:
        nonlocal position
        values = [float(token) for token in tokens[position : position + count]]
        assert len(values) == count, f"{path.name} ends early"
        position += count
        return values

    instances = []
    (count,) = take(1)
    for _ in range(int(count)):
        n, m, optimum = take(3)
        profit = take(int(n))
        weight = [take(int(n)) for _ in range(int(m))]
        capacity = take(int(m))
        instances.append(Instance(profit, weight, capacity, optimum))
    return instances


def best_known(name: str) -> float:
    """Best known value of e.g. ``5.100-00`` from mkcbres_best-feasible-slns.txt (the first table)."""
    path = BENCHMARKS / "mkcbres_best-feasible-slns.txt"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    found = re.search(rf"^{re.escape(name)}\s+([0-9.]+)\s*$", path.read_text(), re.MULTILINE)
    assert found, f"{name} is not in {path.name}"
    return float(found.group(1))


def number(value: float) -> str:
    """As written in the benchmark: integers without a decimal point, 8706.1 as such."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def write_backlog(instance: Instance, path: Path) -> Path:
    """One item per MKP item; a weight of 0 is written as 0 (no need of that skill)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "value", *(f"effort:r{j + 1}" for j in range(instance.m))])
        for i in range(instance.n):
            writer.writerow(
                [
                    f"i{i + 1}",
                    f"MKP item {i + 1}",
                    number(instance.profit[i]),
                    *(number(instance.weight[j][i]) for j in range(instance.m)),
                ]
            )
    return path


PEOPLE = ["name", "team", "skills", "days_per_sprint"]
SPRINTS = [["sprint", "start", "end"], ["S1", "2026-01-05", "2026-01-16"]]
TEAMS = [["team", "focus_factor"], ["mkp", 1]]


def people_rows(instance: Instance) -> list[list[object]]:
    return [[f"constraint {j + 1}", "mkp", f"r{j + 1}", instance.capacity[j]] for j in range(instance.m)]


def write_capacity_workbook(instance: Instance, path: Path) -> Path:
    return write_xlsx(path, {"people": [PEOPLE, *people_rows(instance)], "sprints": SPRINTS, "teams": TEAMS})


def write_capacity_csvs(instance: Instance, folder: Path) -> Path:
    folder.mkdir()
    for name, rows in (("people", [PEOPLE, *people_rows(instance)]), ("sprints", SPRINTS), ("teams", TEAMS)):
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def plan(capsys: pytest.CaptureFixture[str], backlog: Path, capacity: Path) -> tuple[dict, float]:
    started = time.perf_counter()
    code = main(
        ["plan", "--backlog", str(backlog), "--capacity", str(capacity), "--json", "--gap", "0", "--time-limit", "60"]
    )
    seconds = time.perf_counter() - started
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out), seconds


def check(payload: dict, instance: Instance, optimum: float) -> None:
    assert payload["status"] == "optimal", payload["message"]
    assert payload["objective"] == pytest.approx(optimum, abs=1e-6)
    # The plan is a real knapsack solution: its profit is the objective and it fits every constraint.
    chosen = [int(row["id"][1:]) - 1 for row in payload["selected"]]
    assert len(set(chosen)) == len(chosen)
    assert {row["sprint"] for row in payload["selected"]} <= {"S1"}
    assert sum(instance.profit[i] for i in chosen) == pytest.approx(optimum, abs=1e-6)
    for j in range(instance.m):
        assert sum(instance.weight[j][i] for i in chosen) <= instance.capacity[j] + 1e-6
    assert len(payload["selected"]) + len(payload["excluded"]) == instance.n
    assert payload["bound"] >= payload["objective"] - 1e-6


MKNAP1 = BENCHMARKS / "mknap1.txt"


@pytest.mark.parametrize("k", range(len(MKNAP1_OPTIMA)), ids=[f"mknap1-{k + 1}" for k in range(len(MKNAP1_OPTIMA))])
def test_mknap1_reaches_the_published_optimum(capsys, tmp_path, k):
    instances = parse_instances(MKNAP1)
    assert len(instances) == len(MKNAP1_OPTIMA)
    instance = instances[k]
    assert instance.optimum == MKNAP1_OPTIMA[k]  # the third number of the header is the published optimum
    payload, seconds = plan(
        capsys,
        write_backlog(instance, tmp_path / "backlog.csv"),
        write_capacity_workbook(instance, tmp_path / "capacity.xlsx"),
    )
    check(payload, instance, instance.optimum)
    print(f"mknap1 #{k + 1}: {instance.n}x{instance.m} objective {payload['objective']} in {seconds:.2f} s")


def test_mknapcb1_instance_0_reaches_the_proven_optimum(capsys, tmp_path):
    """5 constraints x 100 items (mknapcb1 #0 = 5.100-00, proven optimal 24381); capacity as CSVs.

    With CBC this takes about 2-3 s on the development machine, well under a minute, so it is not
    marked slow.
    """
    instance = parse_instances(BENCHMARKS / "mknapcb1.txt")[0]
    optimum = best_known("5.100-00")
    assert instance.optimum == optimum == 24381
    payload, seconds = plan(
        capsys, write_backlog(instance, tmp_path / "backlog.csv"), write_capacity_csvs(instance, tmp_path / "capacity")
    )
    check(payload, instance, optimum)
    print(f"mknapcb1 #0: {instance.n}x{instance.m} objective {payload['objective']} in {seconds:.2f} s")

"""``python -m bench [--persons N] [--only NAME]``: run every bench module in order and print the figures.

Each part prepares what it needs (its database, register, users, list) and, when several parts run, runs in a
process of its own: Django reads its settings (the database) once per process, and each part has its own database.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from bench import ROOT

# One line per bench; each module exposes ``add_arguments(parser)`` (optional) and ``run(args)``.
MODULES = [
    "bench.register",
    "bench.lists",
    "bench.scoping",
    "bench.informing",
    "bench.surveys",
    "bench.reports",
]


def _without_only(argv: list[str]) -> list[str]:
    rest, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--only":
            skip = True
        elif not arg.startswith("--only="):
            rest.append(arg)
    return rest


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmarks of the bulk paths.")
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons in the register file (1000000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", action="append", help="run only these benches (e.g. register); repeatable")
    modules = [importlib.import_module(name) for name in MODULES]
    for module in modules:
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    args = parser.parse_args(argv)
    selected = [
        (short, module)
        for short, module in ((name.rsplit(".", 1)[-1], module) for name, module in zip(MODULES, modules, strict=True))
        if not args.only or short in args.only
    ]
    if len(selected) == 1:
        short, module = selected[0]
        print(f"== {short} ==", flush=True)
        module.run(args)
        return
    failed = []
    for short, _module in selected:
        command = [sys.executable, "-m", "bench", "--only", short, *_without_only(argv)]
        done = subprocess.run(command, cwd=ROOT, check=False)
        if done.returncode != 0:
            failed.append(short)
    if failed:
        raise SystemExit(f"bench parts that failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

"""``python -m bench [--persons N] [--only NAME]``: run every bench module in order and print the figures."""

from __future__ import annotations

import argparse
import importlib

# One line per bench; each module exposes ``add_arguments(parser)`` (optional) and ``run(args)``.
MODULES = [
    "bench.register",
    "bench.lists",
    "bench.scoping",
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmarks of the bulk paths.")
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons in the register file (1000000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", action="append", help="run only these benches (e.g. register); repeatable")
    modules = [importlib.import_module(name) for name in MODULES]
    for module in modules:
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    args = parser.parse_args(argv)
    for name, module in zip(MODULES, modules, strict=True):
        short = name.rsplit(".", 1)[-1]
        if args.only and short not in args.only:
            continue
        print(f"== {short} ==", flush=True)
        module.run(args)


if __name__ == "__main__":
    main()

"""Split SkillSpan dev into two halves by posting, for held-out estimates of train + dev taggers.

Alternate postings (keyed by source and idx, in order of first appearance) go to half A and B.
Writes dev_a.json, dev_b.json and train_dev_a.json (= train + A), train_dev_b.json (= train + B).

    python benchmarks/split_skillspan_dev.py /tmp/skillspan_halves
    lmi train spans --arch minilm --crf --train /tmp/skillspan_halves/train_dev_a.json \
        --dev /tmp/skillspan_halves/dev_b.json --keep last --max-epochs 8 ...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SKILLSPAN = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "skillspan" / "json"


def lines(path: Path) -> list[str]:
    """Non-blank lines of a JSON-lines file."""
    return [line if line.endswith("\n") else line + "\n"
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="Output folder.")
    parser.add_argument("--skillspan", type=Path, default=SKILLSPAN,
                        help="Folder with train.json and dev.json.")
    args = parser.parse_args()
    dev = lines(args.skillspan / "dev.json")
    train = lines(args.skillspan / "train.json")
    order: dict[tuple, int] = {}
    for line in dev:
        record = json.loads(line)
        order.setdefault((record["source"], record["idx"]), len(order))
    halves: dict[str, list[str]] = {"a": [], "b": []}
    for line in dev:
        record = json.loads(line)
        halves["ab"[order[(record["source"], record["idx"])] % 2]].append(line)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in halves.items():
        (args.out / f"dev_{name}.json").write_text("".join(rows), encoding="utf-8")
        (args.out / f"train_dev_{name}.json").write_text("".join(train + rows), encoding="utf-8")
        print(f"half {name}: {len(rows)} sentences")


if __name__ == "__main__":
    main()

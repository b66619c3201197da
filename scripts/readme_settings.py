"""Keep README's settings table equal to `tap-meta-ads --about --format=markdown`.

python scripts/readme_settings.py          # rewrite the table in README.md
python scripts/readme_settings.py --check  # exit 1 if README.md is out of date
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START = "<!-- settings-table:"
END = "<!-- end settings-table -->"


def about_table() -> str:
    about = subprocess.run(
        [str(Path(sys.executable).parent / "tap-meta-ads"), "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = about.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Setting"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return "\n".join(table)


def render(readme: str, table: str) -> str:
    head, rest = readme.split(START, 1)
    marker_line, _, rest = rest.partition("\n")
    _, tail = rest.split(END, 1)
    return f"{head}{START}{marker_line}\n{table}\n{END}{tail}"


def main() -> int:
    path = ROOT / "README.md"
    current = path.read_text()
    wanted = render(current, about_table())
    if "--check" in sys.argv:
        if current != wanted:
            print(
                "README.md settings table differs from --about; run "
                "python scripts/readme_settings.py"
            )
            return 1
        return 0
    path.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

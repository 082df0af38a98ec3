"""README.md's "From Python" examples print what the README shows."""

import re
import subprocess
import sys

from conftest import REPO


def test_the_readme_examples_print_what_the_readme_shows():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## From Python", 1)[1].split("\n## ", 1)[0]
    codes = re.findall(r"```python\n(.*?)```", section, re.S)
    shown = re.findall(r"```text\n(.*?)```", section, re.S)
    assert len(codes) == len(shown) == 2
    assert len(codes[0].strip().splitlines()) == 5
    # The second example goes on from the first, which imports brink.
    for c, s in zip(codes, shown):
        p = subprocess.run([sys.executable, "-c", "import brink\n" + c], cwd=REPO,
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert p.stdout == s

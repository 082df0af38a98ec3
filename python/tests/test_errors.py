"""A bad scenario raises brink.ScenarioError whose message is the CLI's located diagnostic."""

import pytest

import brink

BAD = """[scenario]
name = "bad"
horizon_days = "ninety"
"""


def test_a_bad_file_gives_the_clis_diagnostic(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    with pytest.raises(brink.ScenarioError) as e:
        brink.run(path)
    message = str(e.value)
    assert message == cli("run", path, check=False).stderr
    # file:line:column, the key path and the offending line are all there.
    assert f"{path}:3:16" in message
    assert "scenario.horizon_days" in message
    assert 'horizon_days = "ninety"' in message


def test_a_bad_text_is_located_in_the_text():
    with pytest.raises(brink.ScenarioError, match=r"<text>:3:16"):
        brink.validate(BAD)


def test_a_bad_override_is_shown_under_its_set(cli):
    bad = "{ uniform = [0.9, 0.1] }"
    with pytest.raises(brink.ScenarioError) as e:
        brink.run("scenarios/minimal.toml", set={"rules.blue_red_line.threshold": bad})
    p = cli("run", "scenarios/minimal.toml", "--set", f"rules.blue_red_line.threshold={bad}",
            check=False)
    assert p.returncode == 2
    assert str(e.value) == p.stderr
    assert f"--> --set rules.blue_red_line.threshold={bad}" in str(e.value)
    with pytest.raises(brink.ScenarioError) as e:
        brink.run("scenarios/minimal.toml", set={"rules.blue_red_lin.threshold": 0.5})
    p = cli("run", "scenarios/minimal.toml", "--set", "rules.blue_red_lin.threshold=0.5",
            check=False)
    assert str(e.value) == p.stderr and "help" in p.stderr


def test_an_unreadable_file_says_so(cli):
    with pytest.raises(brink.ScenarioError) as e:
        brink.run("no/such/file.toml")
    assert str(e.value) == cli("run", "no/such/file.toml", check=False).stderr

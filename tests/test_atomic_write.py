"""argus.errors.atomic_write: whole files or none, with the permissions an ordinary write would give."""

from __future__ import annotations

import os
import stat

import pytest

from argus.errors import UserError, atomic_write


@pytest.fixture
def umask():
    """Set a umask for one test and put the old one back."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_0666_less_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    atomic_write(str(tmp_path / "report.json"), "{}\n")
    atomic_write(str(tmp_path / "chart.png"), b"\x89PNG")
    assert (mode(tmp_path / "report.json"), mode(tmp_path / "chart.png")) == (expected, expected)


@pytest.mark.parametrize("existing", [0o644, 0o600, 0o664, 0o640])
def test_a_replaced_file_keeps_its_mode(tmp_path, umask, existing):
    path = tmp_path / "argus.sarif"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(existing)
    umask(0o077)  # the umask of the run does not narrow (or widen) a file that is already there
    atomic_write(str(path), "new\n")
    assert (path.read_text(encoding="utf-8"), mode(path)) == ("new\n", existing)


def test_no_temporary_file_is_left_behind(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(UserError) as caught:
        atomic_write(str(tmp_path / "out"), "text")  # a directory is in the way
    assert str(caught.value) == f"{tmp_path / 'out'}: cannot write: it is a directory"
    atomic_write(str(tmp_path / "ok.txt"), "text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.txt", "out"]


def test_missing_directory_is_a_user_error(tmp_path):
    with pytest.raises(UserError) as caught:
        atomic_write(str(tmp_path / "no" / "such.json"), "{}")
    assert str(caught.value) == f"{tmp_path / 'no' / 'such.json'}: cannot write: directory {tmp_path / 'no'} does not exist"

"""Running a tool: located once, its output returned, its failures explained, overruns killed whole."""

import os
import stat
import sys
import threading
import time
import uuid

import psutil
import pytest

from mediacaster.services.ffmpeg import Tool, ToolFailed, ToolInterrupted, ToolTimeout


def make_tool(folder, name, script):
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return Tool(name, str(folder))


def survivors(marker, wait=2.0):
    """Processes, not yet dead, whose command line holds ``marker``, after up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for process in psutil.process_iter(["cmdline", "status"]):
            try:
                if process.info["status"] != psutil.STATUS_ZOMBIE and marker in " ".join(
                    process.info["cmdline"] or ()
                ):
                    found.append(process)
            except psutil.Error:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.fixture
def marker():
    """A word no other process carries, given as an argument to the processes of one test."""
    word = f"mediacaster-test-{uuid.uuid4().hex}"
    yield word
    for process in survivors(word, wait=0):  # never leave a stray process behind, even on failure
        process.kill()


# A tool that starts two children carrying the marker, then waits for them.
FAMILY = """\
echo $$ > "$2"
sh -c 'sleep 30; exit 0' "$1-child" &
sh -c 'sleep 30; exit 0' "$1-child" &
wait
"""


def test_a_missing_tool_is_not_available(tmp_path):
    tool = Tool("ffmpeg-that-is-not-there", str(tmp_path))
    assert (tool.available, tool.path) == (False, None)


def test_a_file_that_is_not_executable_is_not_available(tmp_path):
    (tmp_path / "ffprobe").write_text("#!/bin/sh\necho hi\n")
    assert not Tool("ffprobe", str(tmp_path)).available


def test_a_tool_in_its_folder_is_found_there(tmp_path):
    tool = make_tool(tmp_path, "ffprobe", "exit 0\n")
    assert tool.available and tool.path == str(tmp_path / "ffprobe")


def test_a_tool_without_a_folder_is_looked_up_on_the_path():
    assert Tool("sh").available


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], b""),
        (["one"], b"one\n"),
        (["two words", "-i", "é.mkv"], "two words\n-i\né.mkv\n".encode()),
    ],
)
def test_a_run_returns_standard_output_with_the_args_passed_as_they_are(tmp_path, args, expected):
    tool = make_tool(tmp_path, "ffprobe", 'for a in "$@"; do printf "%s\\n" "$a"; done\necho noise >&2\n')
    assert tool.run(args, timeout=5) == expected


def test_input_is_piped_to_standard_input(tmp_path):
    tool = make_tool(tmp_path, "ffmpeg", "cat\n")
    data = bytes(range(256)) * 1000
    assert tool.run([], timeout=5, input=data) == data


def test_without_input_standard_input_is_empty_rather_than_left_open(tmp_path):
    tool = make_tool(tmp_path, "ffmpeg", "cat\n")
    started = time.monotonic()
    assert tool.run([], timeout=5) == b""
    assert time.monotonic() - started < 4


def test_a_large_output_is_read_whole_without_blocking(tmp_path):
    tool = make_tool(tmp_path, "ffmpeg", "head -c 3000000 /dev/zero\nhead -c 300000 /dev/zero >&2\n")
    assert tool.run([], timeout=5) == bytes(3_000_000)


def test_a_failure_names_the_files_it_was_given_without_their_folders(tmp_path):
    tool = make_tool(tmp_path, "ffprobe", 'echo "$2: Invalid data; see also $1" >&2\nexit 1\n')
    film = os.fsdecode(b"/srv/nas/films/caf\xe9.mkv")
    with pytest.raises(ToolFailed) as raised:
        tool.run(["/srv/nas/films", film], timeout=5)
    assert raised.value.reason == "caf\ufffd.mkv: Invalid data; see also films"
    assert "/srv" not in str(raised.value)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("echo 'first line' >&2\necho 'Invalid data found when processing input' >&2\nexit 1\n",
         "Invalid data found when processing input"),
        ("echo 'the reason' >&2\necho >&2\necho '   ' >&2\nexit 3\n", "the reason"),
        ("echo 'on stdout only'\nexit 1\n", "ffmpeg failed"),
        ("printf 'caf\\351 broken\\n' >&2\nexit 1\n", "caf\ufffd broken"),
        ("kill -9 $$\n", "ffmpeg failed"),
    ],
)  # fmt: skip
def test_a_non_zero_exit_raises_tool_failed_with_the_last_line_printed(tmp_path, script, reason):
    tool = make_tool(tmp_path, "ffmpeg", script)
    with pytest.raises(ToolFailed) as raised:
        tool.run([], timeout=5)
    assert raised.value.reason == reason == str(raised.value)


def test_an_overrun_raises_tool_timeout_promptly_and_kills_the_tool_and_its_children(tmp_path, marker):
    tool = make_tool(tmp_path, "ffmpeg", FAMILY)
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(ToolTimeout, match=r"ffmpeg took longer than 0\.5 s"):
        tool.run([marker, str(pid_file)], timeout=0.5)
    assert time.monotonic() - started < 5
    assert pid_file.exists(), "the tool never started"
    assert survivors(marker) == []
    # The tool itself was waited for: not even a zombie of it is left.
    assert not psutil.pid_exists(int(pid_file.read_text()))


def test_close_kills_a_run_in_progress_in_another_thread(tmp_path, marker):
    tool = make_tool(tmp_path, "ffmpeg", FAMILY)
    pid_file = tmp_path / "pid"
    outcome = {}

    def run():
        try:
            outcome["returned"] = tool.run([marker, str(pid_file)], timeout=60)
        except Exception as error:
            outcome["raised"] = error

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 5
    # The run is registered just after the process starts; close() kills what is registered.
    # The tool writes its pid file before it starts its children.
    while time.monotonic() < deadline:
        if pid_file.exists() and tool._running and len(survivors(marker, wait=0)) >= 3:
            break
        time.sleep(0.01)
    assert len(survivors(marker, wait=0)) >= 3, "the tool and its children never started"
    started = time.monotonic()
    tool.close()
    thread.join(5)
    assert not thread.is_alive(), "the run went on after close()"
    assert time.monotonic() - started < 5
    # Not a failure of the file: nothing about it may be cached as "unreadable".
    assert isinstance(outcome.get("raised"), ToolInterrupted)
    assert survivors(marker) == []
    assert not psutil.pid_exists(int(pid_file.read_text()))


def test_a_closed_tool_refuses_new_runs(tmp_path):
    tool = make_tool(tmp_path, "ffprobe", "echo ok\n")
    assert tool.run([], timeout=5) == b"ok\n"
    tool.close()
    with pytest.raises(ToolInterrupted):
        tool.run([], timeout=5)


def test_runs_finished_are_not_kept_for_close(tmp_path):
    tool = make_tool(tmp_path, "ffprobe", "exit 1\n")
    with pytest.raises(ToolFailed):
        tool.run([], timeout=5)
    assert make_tool(tmp_path, "ok", "exit 0\n").run([], timeout=5) == b""
    assert not tool._running


def test_each_run_is_a_process_group_of_its_own(tmp_path):
    script = f"exec {sys.executable} -c 'import os; print(os.getpid(), os.getpgrp())'\n"
    pid, group = map(int, make_tool(tmp_path, "ffprobe", script).run([], timeout=5).split())
    assert group == pid != os.getpgrp()


# A tool that counts (one line every 0.05 s) into a file for a second, then exits.
COUNTER = """\
i=0
while [ $i -lt 20 ]; do echo $i >> "$2"; i=$((i+1)); sleep 0.05; done
"""


def test_a_run_is_stopped_while_asked_and_goes_on_after(tmp_path, marker):
    tool = make_tool(tmp_path, "ffmpeg", COUNTER)
    counted, pause = tmp_path / "counted", threading.Event()
    outcome = {}
    thread = threading.Thread(
        target=lambda: outcome.update(
            ran=tool.run([marker, str(counted)], timeout=30, pause_while=pause.is_set)
        )
    )
    thread.start()
    deadline = time.monotonic() + 5
    while not (counted.exists() and counted.read_text().count("\n") >= 2) and time.monotonic() < deadline:
        time.sleep(0.01)
    pause.set()
    time.sleep(0.5)  # the run stops within a look (0.1 s)
    held = counted.read_text().count("\n")
    assert [p.status() for p in survivors(marker, wait=0)] == [psutil.STATUS_STOPPED]
    time.sleep(0.5)
    assert counted.read_text().count("\n") == held < 20  # nothing counted while it was stopped
    pause.clear()
    thread.join(10)
    assert "ran" in outcome and counted.read_text().count("\n") == 20  # went on, to its end

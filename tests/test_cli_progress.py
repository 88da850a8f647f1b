from convrec.cli.common import step_progress


def test_progress_accepts_known_and_unknown_sizes():
    with step_progress() as progress:
        progress("bm25: tokenising", 3, 10)
        progress("profiles: extracting", 5, None)
        progress("profiles: writing", 0, 0)

from convrec.eval.report import markdown_table, write_section


def test_write_section_replaces_only_its_own_block(tmp_path):
    path = tmp_path / "B.md"
    path.write_text("# Benchmarks\n\nintro\n")
    write_section(path, "cf", "first")
    write_section(path, "tools", "tools figures")
    write_section(path, "cf", "second")
    text = path.read_text()
    assert text.count("<!-- bench:cf -->") == 1
    assert "second" in text and "first" not in text
    assert "tools figures" in text and text.startswith("# Benchmarks\n\nintro")


def test_markdown_table():
    table = markdown_table(["model", "recall"], [["ease", 0.123456], ["pop", 12345]])
    assert table.splitlines() == [
        "| model | recall |", "| --- | --- |", "| ease | 0.1235 |", "| pop | 12,345 |"]

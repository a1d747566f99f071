"""The bureau's report: report.html and report.pdf from a plan's output folder."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_report_pdf_holds_compliance_area_synthetic_notice_and_maps(cli, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = cli("--quiet", "plan", "--site", "kindergarten", "--k", "2", "--out", out)
    assert result.code == 0, result.err
    result = cli("report", out)
    assert result.code == 0, result.err
    pdf = out / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "达标率" in text and "compliance" in text.lower()
    assert "Jiegu, Yushu" in text and "示例社区A" in text  # the area and its communities
    assert "SYNTHETIC demo data" in text and "合成示例数据" in text
    assert "unverified" in text.lower() and "2SFCA" in text
    html = (out / "report.html").read_text(encoding="utf-8")
    figures = html.count("data:image/svg+xml;base64,")
    assert figures >= 3  # per failing item, gaps, proposed sites
    # the figures are vector with their words as text: each title is in the PDF's text, once
    # in the figure and once in its caption
    assert len(re.findall(r"分钟覆盖率 share within \d+ min", text)) >= 2 * (figures - 2)
    assert "Proposed sites, population newly covered" in text


def test_report_of_a_folder_that_is_no_plan_says_so(cli, tmp_path: Path) -> None:
    result = cli("report", tmp_path)
    assert result.code == 2
    assert "plan_summary.json" in result.err and "yushu-circle plan" in result.err
    assert not (tmp_path / "report.pdf").exists()

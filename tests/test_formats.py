"""read_source: every format into plain text plus hints. Fixtures are built here with the real
libraries (python-docx, reportlab, pypdf), so no binary file is checked in and nothing needs a network."""
from __future__ import annotations

import socket
import zipfile
from pathlib import Path

import pytest

from familydesk.errors import BadRequest
from familydesk.formats import SUPPORTED, SourceText, read_source

ARTICLE = [
    "第一条 为贯彻落实国家生育支持政策，减轻家庭养育负担，制定本办法。",
    "第二条 本办法适用于本市户籍的婴幼儿家庭。",
    "（一）符合法律法规规定生育的三周岁以下婴幼儿；",
    "（二）父母一方具有本市户籍。",
    "第三条 育儿补贴标准为每孩每年3600元，按年发放，直至婴幼儿年满三周岁。",
]


def lines_of(source: SourceText) -> list[str]:
    return [line for line in source.text.splitlines() if line.strip()]


# --- fixtures built at test time ----------------------------------------------------------------

def make_pdf(path: Path, pages: list[list[str]], page_numbers: bool = True) -> Path:
    """A text PDF in reportlab's built-in CID font STSong-Light (no font file needed)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    for number, lines in enumerate(pages, 1):
        c.setFont("STSong-Light", 12)
        y = 780
        for line in lines:
            c.drawString(72, y, line)
            y -= 22
        if page_numbers:
            c.drawCentredString(300, 40, f"— {number} —")
        c.showPage()
    c.save()
    return path


def make_image_pdf(path: Path, pages: int = 2) -> Path:
    """What a scanner produces, as far as text goes: drawings and no text layer."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for _ in range(pages):
        c.rect(72, 400, 300, 200, fill=1)
        c.circle(300, 700, 40)
        c.line(72, 100, 500, 120)
        c.showPage()
    c.save()
    return path


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_heading("某市育儿补贴实施办法", level=1)
    d.add_paragraph(ARTICLE[0])
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([("年龄", "补贴标准", "发放方式"), ("0-1岁", "3600元", "按年"),
                             ("1-3岁", "3600元", "按年")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph(ARTICLE[1])
    soft = d.add_paragraph(ARTICLE[2])
    soft.runs[0].add_break()  # Shift+Enter: the next item is in the same Word paragraph
    soft.add_run(ARTICLE[3])
    d.add_paragraph(ARTICLE[4])
    d.save(str(path))
    return path


GOV_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}">
<title>关于印发某市育儿补贴实施办法的通知_某市人民政府</title>
<meta name="PubDate" content="2025-03-12 10:00">
<meta name="ArticleTitle" content="关于印发某市育儿补贴实施办法的通知">
<meta name="ContentSource" content="某市卫生健康委员会">
</head><body>
<header><div class="logo">某市人民政府门户网站</div><div>无障碍 | 长者模式 | 登录</div></header>
<nav><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/bsfw/">办事服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></nav>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政策文件</div>
<div class="main"><article>
<h1>关于印发某市育儿补贴实施办法的通知</h1>
<div class="TRS_Editor">
<p>各区县人民政府，市直各部门：</p>
<p>现将《某市育儿补贴实施办法》印发给你们，请认真贯彻执行。</p>
<p style="text-align:center">第一章 总则</p>
<p>　　{a0}</p>
<p>　　{a1}<br>　　{a2}<br>　　{a3}</p>
<p>　　{a4}</p>
<table><tr><td>年龄</td><td>补贴标准</td></tr><tr><td>0-1岁</td><td>3600元</td></tr></table>
</div></article></div>
<div class="related"><h3>相关链接</h3><ul><li><a href="/a">国务院办公厅</a></li><li><a href="/b">省人民政府</a></li></ul></div>
<footer><p>版权所有：某市人民政府办公室 主办单位：某市人民政府办公室</p>
<p>网站标识码：1234567890 ICP备12345678号</p><p>联系我们 | 网站地图</p></footer>
</body></html>
"""

# An older CMS page: no HTML5 elements, the menu and the footer are plain divs, the text sits in
# <br>-separated lines of one div, GB2312-encoded.
OLD_CMS_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某县关于生育补贴的通知</title></head><body>
<div id="nav"><a href="/">首页</a> <a href="/x">机构概况</a> <a href="/y">政务公开</a> <a href="/z">公众参与</a></div>
<div class="content"><div class="TRS_Editor"><div>　　{a0}<br/>　　{a2}<br/>　　{a3}<br/>　　（三）一次性生育补贴2000元。<br/>　　{a4}</div></div></div>
<div id="footer">版权所有：某县人民政府 地址：某县某路1号</div>
</body></html>
"""


def gov_page(charset: str = "utf-8") -> str:
    return GOV_PAGE.format(charset=charset, **{f"a{i}": a for i, a in enumerate(ARTICLE)})


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt fails the test: reading a saved page must not fetch anything."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# --- errors shared by all formats ---------------------------------------------------------------

def test_unsupported_suffix_lists_the_supported_ones(tmp_path):
    path = tmp_path / "notice.xlsx"
    path.write_bytes(b"PK\x03\x04 whatever")
    with pytest.raises(BadRequest) as err:
        read_source(path)
    for suffix in SUPPORTED:
        assert suffix in str(err.value)
    assert err.value.status == 422


def test_old_word_format_says_how_to_convert(tmp_path):
    path = tmp_path / "notice.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0 old word")
    with pytest.raises(BadRequest, match=r"libreoffice --headless --convert-to docx"):
        read_source(path)


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.html", "empty.docx", "empty.pdf"])
def test_empty_file_is_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"" if name != "empty.txt" else b"  \r\n\n ")
    with pytest.raises(BadRequest, match="empty"):
        read_source(path)


def test_missing_file_is_a_bad_request(tmp_path):
    with pytest.raises(BadRequest, match="no such file"):
        read_source(tmp_path / "nowhere.txt")


# --- plain text ----------------------------------------------------------------------------------

def test_txt_is_read_as_is_with_crlf_normalised(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(("\ufeff" + "\r\n".join(ARTICLE) + "\r\n").encode("utf-8"))
    source = read_source(path)
    assert source == SourceText(text="\n".join(ARTICLE) + "\n", front_matter={}, format="txt")


def test_gbk_txt_is_decoded_with_a_warning(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("\n".join(ARTICLE).encode("gbk"))
    source = read_source(path)
    assert lines_of(source) == ARTICLE
    assert len(source.warnings) == 1 and "GB18030" in source.warnings[0]


@pytest.mark.parametrize("name,content,says", [
    ("latin.txt", "第一条".encode("utf-8") + b" caf\xe9 \x81\x20 \xff", "iconv"),  # neither UTF-8 nor GB18030
    ("blob.txt", b"abc\x00\x00\x01def", "binary"),
    ("broken.pdf", b"%PDF-1.7\n this is not really a pdf \n", "could not be opened as a PDF"),
])
def test_unreadable_bytes_are_refused_saying_why(tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadRequest, match=says):
        read_source(path)


# --- Markdown ------------------------------------------------------------------------------------

def test_md_front_matter_is_split_off(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("---\ntitle: 某市育儿补贴实施办法\nissuer: 某市卫生健康委员会\ndate: 2025-03-12\n---\n"
                    "# 某市育儿补贴实施办法\n\n**第一条** 为贯彻落实国家生育支持政策，制定本办法。\n", encoding="utf-8")
    source = read_source(path)
    assert source.format == "md"
    assert source.front_matter == {"title": "某市育儿补贴实施办法", "issuer": "某市卫生健康委员会", "date": "2025-03-12"}
    assert source.text == "# 某市育儿补贴实施办法\n\n**第一条** 为贯彻落实国家生育支持政策，制定本办法。\n"
    assert source.warnings == ()


def test_md_without_front_matter_is_kept_whole(tmp_path):
    body = "# 标题\n\n第一条 内容。\n\n---\n\n第二条 内容。\n"
    path = tmp_path / "doc.markdown"
    path.write_text(body, encoding="utf-8")
    assert read_source(path) == SourceText(text=body, front_matter={}, format="md")


def test_md_broken_front_matter_is_dropped_with_a_warning(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("---\ntitle: [某市育儿补贴\nissuer: : :\n---\n第一条 内容。\n", encoding="utf-8")
    source = read_source(path)
    assert source.front_matter == {}
    assert source.text == "第一条 内容。\n"
    assert len(source.warnings) == 1 and "front matter" in source.warnings[0]


def test_md_opening_rule_followed_by_prose_is_not_front_matter(tmp_path):
    body = "---\n第一条 为贯彻落实国家生育支持政策，制定本办法。\n---\n第二条 内容。\n"
    path = tmp_path / "doc.md"
    path.write_text(body, encoding="utf-8")
    source = read_source(path)
    assert source.text == body and source.front_matter == {} and source.warnings == ()


# --- HTML ----------------------------------------------------------------------------------------

def test_html_keeps_the_article_and_drops_nav_header_footer(tmp_path, no_network):
    path = tmp_path / "page.html"
    path.write_text(gov_page(), encoding="utf-8")
    source = read_source(path)
    lines = lines_of(source)
    assert source.format == "html"
    for clause in ARTICLE:
        assert clause in lines, clause  # each numbered line stands alone, at a line start
    assert lines.index(ARTICLE[1]) + 1 == lines.index(ARTICLE[2])  # <br> breaks kept, in order
    assert "年龄 | 补贴标准" in lines and "0-1岁 | 3600元" in lines
    for chrome in ("版权所有", "网站标识码", "政务公开", "办事服务", "无障碍", "当前位置", "相关链接"):
        assert chrome not in source.text, chrome


def test_html_hints_carry_title_date_and_source(tmp_path, no_network):
    path = tmp_path / "page.htm"
    path.write_text(gov_page(), encoding="utf-8")
    hints = read_source(path).front_matter
    assert hints["title"] == "关于印发某市育儿补贴实施办法的通知"
    assert hints["date"] == "2025-03-12"
    assert hints["page_title"] == "关于印发某市育儿补贴实施办法的通知_某市人民政府"
    assert hints["source"] == "某市卫生健康委员会"


def test_html_old_cms_page_in_gb2312_with_div_menus(tmp_path, no_network):
    path = tmp_path / "old.html"
    page = OLD_CMS_PAGE.format(**{f"a{i}": a for i, a in enumerate(ARTICLE)})
    path.write_bytes(page.encode("gb18030"))
    source = read_source(path)
    lines = [line.replace("\u3000", " ") for line in lines_of(source)]
    assert lines == [ARTICLE[0], ARTICLE[2], ARTICLE[3], "（三）一次性生育补贴2000元。", ARTICLE[4]]
    assert "date" not in source.front_matter  # "2000元" is not the year 2000
    assert source.front_matter["title"] == "某县关于生育补贴的通知"


def test_html_without_main_text_is_refused(tmp_path, no_network):
    path = tmp_path / "blank.html"
    path.write_text("<html><head><title>x</title></head><body><nav><a href='/'>首页</a></nav></body></html>",
                    encoding="utf-8")
    with pytest.raises(BadRequest, match="no main text"):
        read_source(path)


# --- Word ----------------------------------------------------------------------------------------

def test_docx_paragraphs_interleave_with_table_rows(tmp_path):
    source = read_source(make_docx(tmp_path / "doc.docx"))
    assert source.format == "docx"
    assert lines_of(source) == [
        "某市育儿补贴实施办法",
        ARTICLE[0],
        "年龄 | 补贴标准 | 发放方式",
        "0-1岁 | 3600元 | 按年",
        "1-3岁 | 3600元 | 按年",
        ARTICLE[1],
        ARTICLE[2],
        ARTICLE[3],  # after a soft line break: still at a line start
        ARTICLE[4],
    ]


def test_docx_merged_cell_is_read_once(tmp_path):
    import docx

    d = docx.Document()
    table = d.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "育儿补贴标准"
    for c, value in enumerate(("0-1岁", "1-2岁", "2-3岁")):
        table.cell(1, c).text = value
    d.save(str(tmp_path / "merged.docx"))
    assert lines_of(read_source(tmp_path / "merged.docx")) == ["育儿补贴标准", "0-1岁 | 1-2岁 | 2-3岁"]


def test_docx_that_is_not_a_docx_is_refused(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old .doc renamed")
    with pytest.raises(BadRequest, match="could not be opened"):
        read_source(path)
    with zipfile.ZipFile(tmp_path / "zip.docx", "w") as z:  # a zip, but not a Word package
        z.writestr("hello.txt", "hi")
    with pytest.raises(BadRequest, match="save it again as .docx"):
        read_source(tmp_path / "zip.docx")


# --- PDF -----------------------------------------------------------------------------------------

def test_pdf_with_cid_font_extracts_chinese(tmp_path):
    path = make_pdf(tmp_path / "doc.pdf", [["某市育儿补贴实施办法", *ARTICLE[:3]], ARTICLE[3:]])
    source = read_source(path)
    assert source.format == "pdf" and source.warnings == ()
    assert lines_of(source) == ["某市育儿补贴实施办法", *ARTICLE]  # pages joined, page numbers dropped


def test_image_only_pdf_is_refused_with_ocr_hint(tmp_path):
    with pytest.raises(BadRequest) as err:
        read_source(make_image_pdf(tmp_path / "scan.pdf"))
    message = str(err.value)
    assert "OCR" in message and "ocrmypdf --language chi_sim" in message and "no text layer" in message


def test_pdf_with_a_few_words_per_page_counts_as_scanned(tmp_path):
    path = make_pdf(tmp_path / "stamp.pdf", [["扫描件"], ["第2页"], ["附件"]], page_numbers=True)
    with pytest.raises(BadRequest, match="OCR"):
        read_source(path)


def test_pdf_with_some_scanned_pages_warns(tmp_path):
    path = make_pdf(tmp_path / "mixed.pdf", [ARTICLE[:3], [], ARTICLE[3:]], page_numbers=False)
    source = read_source(path)
    assert lines_of(source) == ARTICLE
    assert len(source.warnings) == 1 and "page(s) 2" in source.warnings[0]


def test_password_protected_pdf_is_refused(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", [ARTICLE])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    with open(tmp_path / "locked.pdf", "wb") as f:
        writer.write(f)
    with pytest.raises(BadRequest, match="password"):
        read_source(tmp_path / "locked.pdf")

"""Web pages, PDFs and Word files read as articles: the story, not the page around it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from qa.articles import article_files, parse_article
from qa.errors import ArticleError
from qa.formats import story, text_blocks
from tests.pdfmake import make_pdf

PAGE = Path(__file__).parent / "data" / "web" / "talks.html"
# Names, dates and numbers that only the page's furniture holds: navigation, cookie banner,
# "most read", comments, footer, a script.
FURNITURE = ("Manchester United", "cookies", "Gordon Smith", "Tesla", "Bob Jones", "Rome", "1999", "Tom Brown",
             "555-1234", "Donald Duck", "Most read", "Comments")
STORY = ("Marco Rubio", "London next week", "Andrii Sybiha", "David Lammy")


def test_web_page_keeps_the_story_its_title_byline_date_and_url_and_drops_the_furniture():
    article = parse_article("talks.html", PAGE.read_bytes())
    assert article.title == "Talks on Ukraine to continue in London"
    assert article.url == "https://news.example.com/world/ukraine-talks"  # the page's canonical link
    assert "By Jane Reporter, 2025-04-17." in article.text
    for words in STORY:
        assert words in article.text
    for words in FURNITURE:
        assert words not in article.text, words
    assert [s.header for s in article.sections] == ["", "Next steps"]  # the page's <h2> is a section
    assert "**" not in article.text and "<" not in article.text


def test_a_one_paragraph_story_keeps_no_menu_and_no_guessed_date():
    page = (b"<html><head><title>Ferry resumes | Island Times</title></head><body><nav><a href=/>Home</a> "
            b"<a href=/news>News</a></nav><article><h1>Ferry resumes</h1><p>The ferry to Skalholt resumed on "
            b"Monday after repairs, the harbour master said.</p></article><aside><h3>Most read</h3><ul><li>"
            b"<a href=/a>Mayor Tom Berg wins election with 62 percent</a></li></ul></aside>"
            b"<footer>(c) 2026 Island Times</footer></body></html>")
    article = parse_article("ferry.html", page)
    assert article.title == "Ferry resumes" and "The ferry to Skalholt resumed on Monday" in article.text
    for words in ("Home", "News", "Tom Berg", "62 percent", "2026"):
        assert words not in article.text, words


def test_a_saved_page_says_where_it_came_from():
    data = b"<!-- saved from url=(0030)https://example.org/saved/pg -->\n" + PAGE.read_bytes()
    assert parse_article("talks.htm", data).url == "https://example.org/saved/pg"


@pytest.mark.parametrize("data, says", [
    (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "no article text|no sentences"),
    (b"   \n", "is empty"),
])
def test_a_page_without_a_story_is_refused_in_one_line(data, says):
    with pytest.raises(ArticleError, match=says):
        parse_article("empty.html", data)


def _printed_page() -> bytes:
    """A news page as a browser prints it: running header and footer, menu, the story over two pages, links."""
    head = ["12/5/26, 7:00 AM    Talks on Ukraine | The Daily Planet"]
    foot = lambda n: [f"https://news.example.com/world/ukraine-talks    {n}/2"]
    menu = ["Home", "World", "Sport", "Manchester United beat Arsenal 3-1", "Most read", "Gordon Smith opens a "
            "restaurant in Berlin", "Stocks fall 12 percent"]
    story1 = ["PARIS (AP) - Secretary of State Marco Rubio and special envoy Steve Witkoff met European",
              "officials in Paris on Thursday to discuss ending the war in Ukraine, officials said.", "",
              "The talks will continue in London next week, officials said. Ukrainian Foreign Minister Andrii",
              "Sybiha attended the meeting alongside Defense Minister Rustem Umerov and many others."]
    story2 = ["Next steps", "British Foreign Secretary David Lammy said the meeting was constructive and that",
              "more work remained to be done before any agreement could be signed by the two sides."]
    tail = ["", "Comments", "Bob Jones", "2 hours ago", "Reply", "About us", "Contact", "Jobs", "Terms",
            "Tom Brown, editor"]
    return make_pdf([head + menu + story1 + foot(1), head + story2 + tail + foot(2)], title="Talks continue")


def test_pdf_keeps_the_story_with_page_numbers_in_its_sections():
    article = parse_article("talks.pdf", _printed_page())
    assert article.title == "Talks continue"
    for words in STORY:
        assert words in article.text
    for words in ("Manchester United", "Gordon Smith", "Bob Jones", "Tom Brown", "12/5/26", "1/2"):
        assert words not in article.text, words
    assert [s.header for s in article.sections] == ["Page 1", "Next steps (page 2)"]
    assert "ending the war in Ukraine, officials said." in article.text  # lines of a paragraph joined


def test_a_banner_printed_on_every_page_is_not_part_of_the_story():
    """A fixed cookie banner prints on each page, in the middle of the story's text: left out."""
    banner = ["We use cookies to give you the best experience. By continuing to browse you agree to our",
              "cookie policy, updated on 4 March 2024, and to our partners' use of your data for ads."]
    story = ["PARIS (AP) - Secretary of State Marco Rubio and special envoy Steve Witkoff met European",
             "officials in Paris on Thursday to discuss ending the war in Ukraine, officials said.", "",
             "The talks will continue in London next week, officials said. Ukrainian Foreign Minister Andrii",
             "Sybiha attended the meeting alongside Defense Minister Rustem Umerov and many others."]
    more = ["British Foreign Secretary David Lammy said the meeting was constructive and that more work",
            "remained to be done before any agreement could be signed by the two sides, he told reporters."]
    article = parse_article("talks.pdf", make_pdf([story[:3] + banner + [""] + story[3:], banner + [""] + more]))
    assert "cookie" not in article.text and "4 March 2024" not in article.text
    assert "Marco Rubio" in article.text and "David Lammy" in article.text


def test_a_file_that_is_not_a_pdf_is_refused():
    with pytest.raises(ArticleError, match="not a PDF"):
        parse_article("fake.pdf", b"Just some text pretending to be a PDF.")


def test_a_pdf_without_text_is_refused():
    with pytest.raises(ArticleError, match="no text layer"):
        parse_article("scan.pdf", make_pdf([[]]))


def test_blocks_join_wrapped_lines_and_the_story_skips_menus_and_teasers():
    assert text_blocks("A\nThis line is long enough to be wrapped onto the next\nline. Then\nB") == [
        "A", "This line is long enough to be wrapped onto the next line. Then", "B"]
    prose = "Officials said the talks went well and that another meeting would follow in London soon."
    side = ["Most read", "Pop star cancels tour", "Tech giant cuts jobs", "Coach fired"]
    blocks = ["Home", "Sport", prose, "Next steps", prose, prose] + side + [prose] * 3 + [
        "Related coverage", "Wildfires on Evia", prose, "Comments", "Luca B. 2 hours ago", prose, "Terms"]
    assert story(blocks) == [2, 3, 4, 5, 10, 11, 12]  # the story goes on after the side column
    assert story(["Home", "Sport"]) == []


def _docx(paragraphs: list[tuple[str, str]]) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    styled = lambda style: f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    body = "".join(f"<w:p>{styled(style)}<w:r><w:t>{text}</w:t></w:r></w:p>" for style, text in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')
    return out.getvalue()


def test_word_file_keeps_its_title_and_headings():
    data = _docx([("Title", "Harbour festival"), ("", "The festival opened on Friday with 40 boats."),
                  ("Heading1", "Weather"), ("", "Rain is expected on Sunday, organisers said.")])
    article = parse_article("festival.docx", data)
    assert article.title == "Harbour festival"
    assert [s.header for s in article.sections] == ["", "Weather"]
    with pytest.raises(ArticleError, match="not a Word"):
        parse_article("bad.docx", b"not a zip file at all")


def test_a_folder_lists_pages_pdfs_and_word_files(tmp_path):
    for name in ("a.html", "b.pdf", "c.docx", "d.txt", "e.png"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in article_files(tmp_path)] == ["a.html", "b.pdf", "c.docx", "d.txt"]

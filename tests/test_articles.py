"""Loading articles, finding sections, cutting passages that fit the model."""

from pathlib import Path

import pytest

from qa.articles import (
    END_MATTER,
    LEAD,
    article_files,
    check_passages,
    find_sections,
    parse_article,
    read_article,
    split_passages,
)
from qa.errors import ArticleError
from tests.conftest import SEED


@pytest.fixture(scope="module")
def seed():
    return read_article(SEED)


def test_seed_sections(seed):
    headers = [s.header for s in seed.sections]
    assert headers == [
        LEAD,
        "The American view in Paris",
        "Ukraine's goals",
        "A coalition of the willing",
        "Attacks as pressure",
        END_MATTER,
    ]
    assert seed.sections[0].paragraphs  # the lead is its own section
    lead_text = seed.text[slice(*seed.sections[0].paragraphs[0])]
    assert lead_text.startswith("PARIS (AP) — France hosted")


def test_end_matter_lines_are_not_headers(seed):
    end = seed.sections[-1]
    texts = [seed.text[a:b] for a, b in end.paragraphs]
    assert "Follow AP's coverage of the war in Ukraine at" in texts
    assert not any(t.startswith("___") for t in texts)


def test_markdown_headings_and_title():
    text = "# Budget vote\n\nThe council met.\n\n## Reactions\n\nPeople cheered loudly.\n"
    title, sections = find_sections(text)
    assert title == "Budget vote"
    assert [s.header for s in sections] == [LEAD, "Reactions"]


def test_header_needs_body_after_it():
    title, sections = find_sections("Body text here.\n\nNot A Header")
    assert [s.header for s in sections] == [LEAD]
    assert len(sections[0].paragraphs) == 2


@pytest.mark.model
def test_passages_fit_the_model_window(seed, embedder):
    passages = split_passages(seed, embedder.count_tokens, embedder.max_tokens, 160)
    assert passages
    for p in passages:
        assert embedder.count_tokens(p.embed_text) <= embedder.max_tokens


def test_passages_keep_provenance_and_whole_sentences(seed):
    passages = split_passages(seed, lambda t: len(t.split()) + 2, 256, 160)
    numbers = []
    for p in passages:
        assert seed.text[p.start:p.end] == p.text  # offsets into the repaired text
        assert p.article == "paris-talks-ukraine.txt"
        for a, b in p.sentences:
            assert p.text[a:b].strip() == p.text[a:b]
            assert p.text[a:b][-1] in '.?!"\'' or p.section == END_MATTER or b == len(p.text)
        numbers.extend(range(p.paragraphs[0], p.paragraphs[1] + 1))
    assert numbers == list(range(1, seed.paragraph_count + 1))  # every paragraph, in order, once
    sections = {p.section for p in passages}
    assert "Ukraine's goals" in sections and LEAD in sections


def test_long_paragraph_is_cut_between_sentences():
    sentence = "The minister spoke about the plan for the region at length today."
    text = " ".join([sentence] * 40)
    article = parse_article("long.txt", text.encode())
    passages = split_passages(article, lambda t: len(t.split()) + 2, 64, 48)
    assert len(passages) > 1
    for p in passages:
        assert len(p.text.split()) + 2 <= 64
        assert p.text.startswith("The minister") and p.text.endswith("today.")


def test_one_huge_sentence_is_cut_between_words():
    text = " ".join(f"word{i}" for i in range(500))
    article = parse_article("run-on.txt", text.encode())
    passages = split_passages(article, lambda t: len(t.split()) + 2, 64, 64)
    assert all(len(p.text.split()) + 2 <= 64 for p in passages)
    assert all(len(p.text.split()) + 2 == 64 for p in passages[:-1])  # each piece as long as fits
    assert " ".join(p.text for p in passages) == text


def test_cutting_a_line_without_sentence_ends_grows_in_proportion_to_its_length():
    """Doubling the input at most about doubles the work: the text the tokenizer is given, summed (a
    measure of time that timing noise cannot move). Counting the rest of the line for every piece made
    it grow with the square, which kept a 10 MB upload indexing for hours."""
    def work(words: int) -> int:
        counted = []

        def count(text: str) -> int:
            counted.append(len(text))
            return len(text.split()) + 2

        article = parse_article("run-on.txt", " ".join(f"word{i % 97}" for i in range(words)).encode())
        passages = split_passages(article, count, 64, 64)
        assert " ".join(p.text for p in passages) == article.text.strip()
        return sum(counted)

    small, large = work(20_000), work(40_000)
    assert large <= 2.2 * small, (small, large)


def test_an_upload_that_would_make_too_many_passages_is_refused_before_splitting():
    article = parse_article("flood.txt", ("word " * 30_000).encode())
    check_passages(article, 256, 200)  # 117 passages at least: fine
    with pytest.raises(ArticleError, match="at least 1,200 passages; an upload is limited to 100"):
        check_passages(article, 256 // 10, 100)


def test_a_word_longer_than_the_window_is_a_piece_of_its_own():
    words = [f"w{i}" for i in range(30)]
    words[12] = "x" * 40
    text = " ".join(words)
    article = parse_article("run-on.txt", text.encode())
    passages = split_passages(article, lambda t: len(t) + 2, 24, 24)
    assert "x" * 40 in [p.text for p in passages]
    assert all(len(p.text) + 2 <= 24 for p in passages if "x" * 40 not in p.text)
    assert " ".join(p.text for p in passages) == text


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "is empty"),
        (b"   \n\n\t  ", "is empty"),
        (b"\x00\x01\x02binary\x00stuff" * 10, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_bad_bytes_rejected(data, message):
    with pytest.raises(ArticleError, match=message):
        parse_article("bad.txt", data)


def test_huge_file_rejected_without_reading_it(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB, sparse
    with pytest.raises(ArticleError, match="52.4 MB; articles are limited to 10 MB"):
        read_article(big)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(ArticleError, match="no such file or folder"):
        article_files(tmp_path / "nope")
    with pytest.raises(ArticleError, match="no articles in"):
        article_files(tmp_path)


def test_folder_lists_only_article_files(tmp_path):
    (tmp_path / "a.txt").write_text("A.")
    (tmp_path / "b.md").write_text("B.")
    (tmp_path / "c.png").write_bytes(b"\x89PNG")
    (tmp_path / ".txt").write_text("A name with no stem is not an article.")
    (tmp_path / "folder.md").mkdir()
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")  # a broken link is skipped, not an error
    (tmp_path / "D.TXT").symlink_to(tmp_path / "a.txt")  # a link to an article is one
    assert [p.name for p in article_files(tmp_path)] == ["D.TXT", "a.txt", "b.md"]


def test_cp1252_article_decodes(tmp_path):
    path = Path(tmp_path / "old.txt")
    path.write_bytes("The caf\xe9 \x93opened\x94 today.".encode("latin-1"))
    article = read_article(path)
    assert 'café "opened" today.' in article.text


TEXT = "Bridge report\n\nThe city will open the Nørrebro bridge on 3 March, the mayor said.\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_a_bom_are_read(encoding):
    data = TEXT.encode(encoding)
    if not encoding.endswith(("16", "32")):  # the -le/-be codecs write no mark: add the right one
        import codecs

        bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
               "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}[encoding]
        data = bom + data
    article = parse_article("bridge.txt", data)
    assert article.title == "Bridge report" and "Nørrebro bridge on 3 March" in article.text


@pytest.mark.parametrize("data, message", [
    (b"\xff\xfe" + bytes(range(256)) * 3, "byte-order mark but is not UTF-16 text"),
    ("  \n ".encode("utf-16"), "is empty"),
    ("\x01\x02\x03\x04 binary \x05\x06".encode("utf-16") * 40, "binary"),
    (b"# Report\n\n## Section one\n\n## Section two\n", "no sentences, only headings"),
    (b"Section one\n\nSection two\n\nSection three\n", "no sentences, only headings"),
])
def test_files_without_text_are_refused(data, message):
    with pytest.raises(ArticleError, match=message):
        parse_article("bad.md", data)

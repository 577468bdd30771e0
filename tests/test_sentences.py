"""Sentence spans and lexical terms."""

import pytest

from qa.sentences import fold_accents, split_sentences, terms


def _split(text):
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One here. Two there.", ["One here.", "Two there."]),
        ("The U.S. State Department said so. Then it ended.", ["The U.S. State Department said so.", "Then it ended."]),
        ("Retired Lt. Gen. Keith Kellogg joined. Others came.", ["Retired Lt. Gen. Keith Kellogg joined.", "Others came."]),
        ('"It was good. We go on," he wrote. Next.', ['"It was good. We go on," he wrote.', "Next."]),
        ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
        ("No end punctuation", ["No end punctuation"]),
        ("   ", []),
    ],
)
def test_split_sentences(text, expected):
    assert _split(text) == expected


def test_spans_are_verbatim():
    text = "  Alpha beta.  Gamma delta.\nEpsilon."
    for a, b in split_sentences(text):
        assert text[a:b] == text[a:b].strip() and text[a:b]


def test_terms_stem_and_join_irregular_verbs():
    assert terms("What did he write?") == terms("he wrote")
    assert "london" in terms("talks in London")
    assert terms("the and of") == []


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Sekulić, Müntzer, Ångström", "Sekulic, Muntzer, Angstrom"),
        ("Nguyễn Tấn Dũng", "Nguyen Tan Dung"),  # stacked accents on one Latin letter all go
        ("Тесла, Йосиф", "Тесла, Йосиф"),  # a breve on a Cyrillic letter stays (Й is not И)
        ("が, ﬁle, e\u0301e\u0301", "が, file, ee"),  # kana kept whole, a ligature opened, loose accents on Latin go
        ("\u0301a", "\u0301a"),  # a mark with no letter before it stays
    ],
)
def test_accents_fold_on_latin_letters_only(text, folded):
    assert fold_accents(text) == folded

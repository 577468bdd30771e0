"""Text repair on the real seed: GBK mojibake fixed, genuine Chinese kept, quotes consistent."""

import pytest

from qa.repair import decode, repair
from tests.conftest import SEED


@pytest.fixture(scope="module")
def seed_text() -> str:
    return repair(decode(SEED.read_bytes()))


def test_seed_bytes_are_kept_dirty():
    # The seed is stored exactly as received: repair happens at load, not on disk.
    assert "鈥".encode() in SEED.read_bytes()


def test_no_mojibake_left(seed_text):
    assert "鈥" not in seed_text
    assert "\ufffd" not in seed_text


@pytest.mark.parametrize(
    "fragment",
    [
        'an important "convergence."',
        "the Trump administration's other moves",
        "you can't disentangle those.\"",
        "PARIS (AP) — France hosted",
        "first time Witkoff — Trump's chief envoy",
        "negotiating with Russian President — has met",
        "a full and partial ceasefire — but not matters",
        '"President Trump and the United States want this war to end',
        'a durable and lasting peace," the statement says.',
        'offer Russia "lots of carrots" but "very few sticks" to bring',
        "officials were ''ready to discuss security guarantees,\"",
    ],
)
def test_seed_lines_repaired(seed_text, fragment):
    assert fragment in seed_text


def test_quotes_are_consistent(seed_text):
    # ftfy straightens curly quotes; the GBK repair must not bring curly ones back.
    assert not set("\u201c\u201d\u2018\u2019") & set(seed_text)


def test_genuine_chinese_left_alone(seed_text):
    assert "The 春色直播 Press." in seed_text


@pytest.mark.parametrize(
    "dirty, clean",
    [
        ("Trump鈥檚 envoy", "Trump's envoy"),
        ("鈥淚t was a very substantive conversation,鈥 he wrote.", '"It was a very substantive conversation," he wrote.'),
        ("a lone 鈥 dash", "a lone — dash"),
        ("中文新闻", "中文新闻"),
        ("cafÃ© au lait", "café au lait"),  # ordinary mojibake: ftfy's job
    ],
)
def test_repair_cases(dirty, clean):
    assert repair(dirty) == clean


def test_repair_is_idempotent(seed_text):
    assert repair(seed_text) == seed_text


def test_decode_falls_back_to_cp1252():
    assert decode("“quoted” café".encode("cp1252")) == "“quoted” café"
    assert decode(b"\x81\x8d") == "\x81\x8d"  # undefined in cp1252: latin-1, never an exception


def test_plain_lines_pass_through_and_the_others_are_repaired_as_before():
    """ftfy is given only the lines that are not plain ASCII (a million one-word lines took it 60 s)."""
    import ftfy

    mixed = "Plain line one.\nThe caf\u00c3\u00a9 opened &amp; closed.\n\nAnother plain line.\n\u201cQuoted\u201d end\n"
    assert repair(mixed) == 'Plain line one.\nThe café opened & closed.\n\nAnother plain line.\n"Quoted" end\n'
    assert repair(mixed) == repair(ftfy.fix_text(mixed, uncurl_quotes=False))  # the same as ftfy on the whole
    many = "\n\n".join(f"p{i} ok." for i in range(200_000))
    assert repair(many) == many

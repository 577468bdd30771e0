"""Benchmark corpora: many synthetic articles made from real article text.

Every sentence comes from a real article (the seed in ``seeds/`` and any
``.txt``/``.md`` article under ``tests/data``); articles are new shuffles of
those sentences into lead, sectioned body and byline, with word-level
variation so BM25's document frequencies are not degenerate: each article
maps the seed's people (surnames), cities and countries to names drawn from
real name lists (``pytz.country_names`` and the city part of the IANA time
zone names) and re-draws numbers and weekdays. The same ``(article, variant)``
always gives the same text, so corpora are reproducible and cached.

Two paragraph shapes: ``news`` (1-3 sentences a paragraph, like the seed) and
``wiki`` (4-7 sentences, about the size of the Wikipedia paragraphs of the
LangChain/txtai reference build). Leaves out: anything written for the bench.
"""

from __future__ import annotations

import random
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from qa.articles import END_MATTER, LEAD, article_files, parse_article
from qa.config import PROJECT_DIR
from qa.errors import QAError
from qa.sentences import split_sentences

GENERATOR_VERSION = 2
SOURCES = [PROJECT_DIR / "seeds", PROJECT_DIR / "tests" / "data"]

# The seed's named things that an article may swap for others of their kind.
SURNAMES = ["Rubio", "Witkoff", "Kellogg", "Sybiha", "Umerov", "Lammy", "Lavrov", "Bruce",
            "Polyakova", "Yermak", "Macron", "Zelenskyy", "Putin", "Burrows", "Novikov", "Arhirova"]
CITIES = ["Paris", "London", "Kyiv", "Dnipro", "Washington", "Moscow"]
COUNTRIES = ["Ukraine", "Russia", "France", "Britain"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NUMBER_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty"]
SKIP = re.compile(r"All rights reserved|Follow AP|\bPress\.$|^\W*$")


def _city_pool() -> list[str]:
    names = set()
    for zone in zoneinfo.available_timezones():
        if "/" not in zone or zone.startswith(("Etc/", "SystemV/", "US/")):
            continue
        city = zone.rsplit("/", 1)[1].replace("_", " ")
        if re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?", city):
            names.add(city)
    return sorted(names)


def _country_pool() -> list[str]:
    import pytz

    return sorted(n for n in pytz.country_names.values() if re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?", n))


@dataclass
class Source:
    """The real text the generator reshuffles."""

    lead: list[str] = field(default_factory=list)  # sentences of leads and bodies
    body: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    bylines: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    surnames: list[str] = field(default_factory=list)


def load_source() -> Source:
    """Sentences, headers and bylines of every real article we have."""
    src = Source()
    for folder in SOURCES:
        try:
            files = article_files(folder)
        except QAError:  # a source folder this machine lacks
            continue
        for path in files:
            article = parse_article(path.name, path.read_bytes())
            for section in article.sections:
                for a, b in section.paragraphs:
                    para = article.text[a:b]
                    sentences = [para[x:y] for x, y in split_sentences(para)]
                    sentences = [s for s in sentences if not SKIP.search(s) and len(s.split()) >= 4]
                    if section.header == END_MATTER:
                        src.bylines.extend(sentences)
                    elif section.header == LEAD:
                        src.lead.extend(sentences)
                    else:
                        src.body.extend(sentences)
                if section.header not in (LEAD, END_MATTER):
                    src.headers.append(section.header)
    src.cities = sorted(set(_city_pool()) | set(CITIES))
    src.countries = sorted(set(_country_pool()) | set(COUNTRIES))
    single = [c for c in src.cities if " " not in c]
    src.surnames = sorted(set(SURNAMES) | set(single))
    return src


def _pattern(words: list[str]) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")\b")


_ENTITY = _pattern(SURNAMES + CITIES + COUNTRIES + WEEKDAYS)
_NUMBER = re.compile(r"\b(\d{1,3}|" + "|".join(NUMBER_WORDS) + r")\b")


@dataclass
class Generated:
    """One generated article's text and the names it uses (for question templates)."""

    name: str
    text: str
    mapping: dict[str, str]


class Generator:
    """Articles from the real source text; ``article(i, variant)`` is deterministic."""

    def __init__(self, shape: str = "news"):
        if shape not in ("news", "wiki"):
            raise ValueError(shape)
        self.shape = shape
        self.src = load_source()

    def mapping(self, rng: random.Random) -> dict[str, str]:
        """Which seed names this article keeps and which it swaps (about 3 in 4 are swapped)."""
        out = {}
        for pool, names in ((self.src.surnames, SURNAMES), (self.src.cities, CITIES), (self.src.countries, COUNTRIES)):
            for name in names:
                out[name] = rng.choice(pool) if rng.random() < 0.75 else name
        days = WEEKDAYS[:]
        rng.shuffle(days)
        out.update(zip(WEEKDAYS, days))
        return out

    def vary(self, text: str, mapping: dict[str, str], rng: random.Random) -> str:
        text = _ENTITY.sub(lambda m: mapping.get(m.group(1), m.group(1)), text)

        def number(m: re.Match) -> str:
            word = m.group(1)
            return str(rng.randint(2, 90)) if word.isdigit() else rng.choice(NUMBER_WORDS)

        return _NUMBER.sub(number, text)

    def article(self, i: int, variant: int = 0) -> Generated:
        """Article ``i``; variants share its layout and sentences but swap other names."""
        layout = random.Random(f"layout-{GENERATOR_VERSION}-{self.shape}-{i}")
        names = random.Random(f"names-{GENERATOR_VERSION}-{i}-{variant}")
        mapping = self.mapping(names)
        per_para = (1, 3) if self.shape == "news" else (4, 7)
        pool = self.src.lead + self.src.body

        def paragraph(first: list[str] | None = None) -> str:
            count = layout.randint(*per_para)
            picked = (first or []) + layout.sample(pool, count - len(first or []))
            return self.vary(" ".join(picked), mapping, names)

        city = mapping["Paris"]
        country = mapping["Ukraine"]
        title_templates = [
            "Talks in {city} on the future of {country}",
            "{country} and its partners meet in {city}",
            "Officials gather in {city} as war in {country} goes on",
            "A new round of talks in {city}",
            "Diplomats in {city} discuss security for {country}",
        ]
        title = layout.choice(title_templates).format(city=city, country=country)
        parts = [title, ""]
        lead_paras = layout.randint(1, 3) if self.shape == "news" else layout.randint(1, 2)
        for n in range(lead_paras):
            first = [layout.choice(self.src.lead)] if n == 0 and self.src.lead else None
            parts += [paragraph(first), ""]
        sections = layout.randint(2, 4) if self.shape == "news" else layout.randint(1, 3)
        for header in layout.sample(self.src.headers, min(sections, len(self.src.headers))):
            parts += [self.vary(header, mapping, names), ""]
            for _ in range(layout.randint(2, 5) if self.shape == "news" else layout.randint(1, 3)):
                parts += [paragraph(), ""]
        if self.src.bylines and layout.random() < 0.5:
            parts += ["___", "", self.vary(layout.choice(self.src.bylines), mapping, names), ""]
        return Generated(f"a{i:06d}-v{variant}.txt", "\n".join(parts), mapping)


def write_corpus(folder: Path, articles: list[Generated]) -> None:
    """Write articles to ``folder`` (created), replacing what was there."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.txt"):
        old.unlink()
    for art in articles:
        (folder / art.name).write_text(art.text, encoding="utf-8")


def paragraph_count(text: str) -> int:
    """Body paragraphs of an article as the engine counts them (headers not counted)."""
    return parse_article("x.txt", text.encode()).paragraph_count


# ---------------------------------------------------------------- corpora on disk

CACHE = PROJECT_DIR / "bench" / ".cache"
CORPORA = CACHE / "corpora"
# Passages per generated news article with the default model and packing
# (measured: 7.8); used to aim a corpus at a passage count.
NEWS_PASSAGES_PER_ARTICLE = 7.8


@dataclass
class CorpusSpec:
    name: str
    shape: str
    articles: int = 0  # layouts; 0 means "until ``paragraphs`` body paragraphs"
    variants: int = 1  # each layout written with this many different name sets
    paragraphs: int = 0

    @property
    def folder(self) -> Path:
        return CORPORA / self.name


def news_spec(name: str, passages: int, variants: int = 1) -> CorpusSpec:
    return CorpusSpec(name, "news", articles=max(1, round(passages / NEWS_PASSAGES_PER_ARTICLE / variants)),
                      variants=variants)


def ensure_corpus(spec: CorpusSpec) -> dict:
    """Write the corpus's article files unless the same spec is already on disk; its meta."""
    import json

    meta_path = spec.folder / "meta.json"
    want = {"version": GENERATOR_VERSION, "shape": spec.shape, "articles": spec.articles,
            "variants": spec.variants, "paragraphs_target": spec.paragraphs}
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if {k: meta.get(k) for k in want} == want and len(list(spec.folder.glob("*.txt"))) == meta["files"]:
            return meta
    gen = Generator(spec.shape)
    out: list[Generated] = []
    paragraphs = 0
    i = 0
    while True:
        if spec.articles and i >= spec.articles:
            break
        if not spec.articles and paragraphs >= spec.paragraphs:
            break
        for v in range(spec.variants):
            art = gen.article(i, v)
            out.append(art)
            if not spec.articles:
                paragraphs += paragraph_count(art.text)
        i += 1
    write_corpus(spec.folder, out)
    meta = {**want, "files": len(out), "layouts": i}
    if not spec.articles:
        meta["paragraphs"] = paragraphs
    meta_path.write_text(json.dumps(meta))
    return meta


def sample_mappings(spec: CorpusSpec, meta: dict, count: int = 60) -> list[dict[str, str]]:
    """Name mappings of some of the corpus's articles, for question templates."""
    gen = Generator(spec.shape)
    layouts = meta.get("layouts") or spec.articles
    rng = random.Random(1)
    return [gen.mapping(random.Random(f"names-{GENERATOR_VERSION}-{i}-{rng.randrange(spec.variants)}"))
            for i in rng.sample(range(layouts), min(count, layouts))]

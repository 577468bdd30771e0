"""Feature names: what describes a candidate sentence, a question's answerability and a short answer's span,
in the weights' order.

Scoring computes them (``scoring.py``), fitting learns a weight for each
(``fit.py``), and a weights file names them so that a file fitted on other
features is refused (``weights.py``). Leaves out: computing them.
"""

from __future__ import annotations

from .kinds import KIND_NAMES

# What describes a sentence as an answer; the fitted weights name them in this order.
SENTENCE_FEATURES = (
    "coverage",  # share of the question's IDF weight the sentence holds (its header counts half)
    "window",  # the same over the sentence and its neighbours
    "previous_coverage",  # the same for the sentence before (the question's words there, the answer here)
    "next_coverage",  # and for the sentence after
    "passage_coverage",  # the same over the whole passage (and the conversation's terms, at half)
    "names",  # share of the question's named things the sentence holds
    "bigrams",  # share of the question's word pairs the sentence holds in order
    "cosine",  # cosine of the sentence (pooled in its passage) to the question
    "cosine_gap",  # that cosine minus the best of any candidate sentence
    "cosine_z",  # that cosine in standard deviations above the question's mean cosine to the corpus's sentences
    "passage_dense",  # the passage's cosine, in standard deviations above the corpus's mean
    "passage_lexical",  # the passage's BM25 score, the same way
    "passage_first",  # 1 for the passage retrieval ranked first
    "novelty",  # share of the sentence's terms the question does not hold
    "length",  # log of the sentence's length in words
    "speech",  # the sentence reports speech (said, wrote, called)
    *(f"evidence_{kind}" for kind in KIND_NAMES[1:]),  # the evidence the question's kind prefers
    "focus",  # the sentence's article is one the conversation's latest answer cited: that answer's confidence, else 0
    "focus_earlier",  # one an earlier answer of the conversation cited (and the latest did not)
    "focus_lacks",  # in the focus, while the focus never names a named thing the question asks about
    "speaker",  # what-did-X-say: the sentence reports X's own words (``question.speaks``)
    "conversation",  # its article's best BM25 z-score for the words of every question of the conversation
    "conversation_top",  # its article is the one those words point to most
    "answered_before",  # the latest answer quoted this sentence
    "after_answer",  # 1/k for the k-th sentence after one the latest answer quoted (k <= 3), in its article
)
# What says whether the articles answer the question at all.
ANSWERABILITY_FEATURES = (
    "best_score",  # the best sentence's fitted score, without what the conversation adds (``scoring.alone_score``)
    "best_coverage",
    "best_cosine",
    "max_cosine",  # the best cosine of any candidate sentence
    "max_cosine_z",  # the same on the question's own scale (``cosine_z``)
    "passage_coverage",  # of the best sentence's passage
    "top_passage_score",
    "unknown_share",  # share of the question's IDF weight on terms no article holds
    "unknown_count",
    "focus_unknown",  # 1 when every word asked about the question's names is one no article holds
    "evidence_missing",  # the question's kind wants a number, time, place, person or quote and no candidate holds one
    "kind_missing",  # the same of the best sentence alone
    "list_support",  # for a list of people: sentences naming people that hold every term asked (up to 3)
    "term_count",  # log(1 + the question's content terms)
    "names_held",  # share of the question's IDF weight on named things the best sentence holds ("Who is Tammy Bruce?")
    "names_lacking",  # the same on named things it lacks (a name found only elsewhere, or nowhere)
    "speaker_missing",  # what-did-X-say, and no candidate sentence reports X's words
)
# What the answerability model weighs: each feature, then each product of two (a square for one alone), so
# that one feature can change what another says ("names_lacking" matters more when "max_cosine" is low). Held
# apart on public-dev as asked, at the same false refusals (0.9%), the products raised off-corpus refusal
# from 0.858 to 0.883, refusal of questions asked without their article from 0.856 to 0.905 and of
# gold-removed ones from 0.288 to 0.303; as typed 0.767 to 0.825 off-corpus; the seed sets' off-corpus
# refusal rose from 0.56 and 0.93 to 0.68 and 1.0 with no false refusal. Boosted trees (depth 3, 100) did as
# well on public-dev (0.90 off-corpus) and worse on the seed sets' news (0.36 and 0.79), and a stronger
# pull to zero (L2 0.01) gave back half the gain (2026-12-06).
ANSWERABILITY_TERMS = (
    *ANSWERABILITY_FEATURES,
    *(f"{a}*{b}" for i, a in enumerate(ANSWERABILITY_FEATURES) for b in ANSWERABILITY_FEATURES[i:]),
)
# Nothing of the conversation: a question is as answerable inside one as alone. Fitted with whether it
# followed answers and whether its best sentence was in their articles, follow-ups (whose unanswerable
# examples are not learnt from: ``fit.LEARN_REFUSAL_FROM``) were answered whatever they asked ("How old
# is Marco Rubio?" at 100%); without them conv-dev kept 0.671 right and 1.5% false refusals held apart.

# The words and marks that stand next to proposed spans most often (the 30 commonest before and after
# them among the proposals of public-dev and conv-dev, gold not looked at): which of them borders a span
# says what it is ("by" before an agent, "as" before what something was called, "," after an apposition),
# as the lexicalised features of the SQuAD paper's logistic regression did. "<s>" and "</s>": none, the
# sentence starts or ends there. Held-apart span F1 over public-dev both ways and conv-dev: 0.3379 without
# them, 0.3425 with them, 0.3470 with them and ``window`` (20 of each 0.3462, 45 0.3473; 2026-12-06); a
# span set off by a comma before a question word ("Begter, Temujin's older half-brother") added nothing.
BORDER_BEFORE = ("the", "a", ",", "of", "in", "and", "his", '"', "'s", "to", "<s>", "(", "on", "by", "an", "for",
                 ".", "as", "with", "that", "their", "from", ":", "its", "was", "or", "at", "–", "this", "some")
BORDER_AFTER = (",", ".", "of", "and", "in", "to", '"', "'s", ")", "(", "was", "for", "that", "as", "on", "with",
                ";", "is", "the", "by", "from", "at", ":", "were", "–", "had", "or", "a", "who", "—")

# The tags (``tags.py``) a span's first and last words are told by: every tag that begins or ends at least
# 20 of public-dev's and conv-dev's proposals. With the word two before the span (of ``BORDER_BEFORE``),
# held-apart span F1 0.3469 -> 0.3543 (the tags alone 0.3526, that word alone 0.3513; 2026-12-06).
SPAN_TAGS = ("NN", "NNS", "NNP", "NNPS", "JJ", "JJR", "JJS", "CD", "$", "FW", "PRP", "RB", "VB", "VBG", "VBN", "DT",
             "IN")

# What describes a proposed span; the fitted weights (``Weights.span``) name them in this order.
SPAN_FEATURES = (
    "asked",  # share of the span's words the question holds (an answer rarely repeats the question)
    "distance",  # log(1 + words between the span and the nearest question word in the sentence)
    "near_before",  # a question word stands within 3 words before the span
    "near_after",  # within 3 words after it
    "length",  # log of the span's words
    "position",  # where the span starts in its sentence (0 first .. 1 last)
    "rank",  # 0 in the best sentence, 1 in the next, ...
    "sentence_share",  # the cited sentence's share of the answer
    "capitalised",  # the span starts with a capital letter
    "digits",  # the span holds a digit
    "quoted",  # the span stands inside quotation marks
    "preposition",  # a preposition stands just before the span, or before its determiner ("in London", "at the palace")
    "typed",  # proposed by the asked kind's own rule (a name for who, a date for when), not as a plain phrase
    "context",  # log(1 + the question's words within five words of the span)
    "after_match",  # the span comes after the first of the question's words in the sentence
    "type_near",  # the noun the question asks for stands within 3 words of the span ("What disease ...?")
    "clause",  # no punctuation between the span and the nearest question word: the same clause
    "type_next",  # the noun the question asks for follows the span at once ("What type of antenna ...?": "S-band")
    "apposed",  # set off after a question word by a comma or bracket ("his rule of law, the Yassa code,")
    # (these two: held-apart span F1 on public-dev 0.3700 -> 0.3736)
    "before_all",  # the span comes before every question word in the sentence (the question's subject)
    "after_all",  # after every one of them (its object)
    "slot",  # the span stands where the question's thing does around its verb: before it for "Who killed
    # X?", after it for "What did X invent?" (``spans.question_slot``); held apart +0.004 F1 on public-dev;
    # the other way round in a passive clause ("starch is stored in ...", ``spans._in_slot``)
    "head_noun",  # the span's last word is tagged a noun, number, foreign word or pronoun ("electric lamps")
    "modifiers_only",  # every word of it is tagged an adjective, adverb or verb ("actual", "poor physical")
    # (these two: held-apart span F1 0.3315 -> 0.3360 over public-dev both ways and conv-dev; 2026-12-06)
    "window",  # the share of the question's IDF weight within 8 words either side of the span (the words
    # that stand with it in the sentence, however far from its edges)
    "rarity_mean",  # the mean rarity (``Vocabulary.rarity``: IDF in the articles, 0..1) of the span's terms:
    "rarity_max",  # an answer is something particular ("Collier's Weekly"), rarely "one", "time" or "part"
    "rarity_min",  # (these three: held-apart span F1 0.4074 -> 0.4124 over public-dev both ways and conv-dev;
    # one-hots of the commonest first and last words besides added 0.000 (40) to 0.002 (100); 2026-12-06)
    "someone",  # the span names someone: a first name or title says he or she (``spans.someones``); "Who
    # called it important?" answered "Center for European Policy Analysis" over "Alina Polyakova"
    "date",  # the span is a date (``spans._DATE``): "Who did Rubio call?" answered "Thursday"
    *(f"before:{w}" for w in BORDER_BEFORE),  # the word or mark just before the span is this one
    *(f"after:{w}" for w in BORDER_AFTER),  # the word or mark just after it
    *(f"before2:{w}" for w in BORDER_BEFORE),  # the word or mark two before it ("the" in "the city of X")
    *(f"first:{t}" for t in SPAN_TAGS),  # the tag of the span's first word
    *(f"last:{t}" for t in SPAN_TAGS),  # and of its last
    # What answers to the noun asked for look like (``spans.NounShape``: of the fitted questions asking
    # "what company", how many answers were capitalised, held a digit, and how long they were), against
    # this span: "What company ...?" wants a name, "What percentage ...?" a number, "What process ...?" a
    # phrase. 0 when the question names no noun or one the fit never saw. Held-apart span F1 over public-dev
    # both ways and conv-dev 0.4166 -> 0.4206 (public-dev 0.4586 -> 0.4643, as typed 0.4564 -> 0.4614,
    # conv-dev 0.3393 -> 0.3408); the shares of the answers' first and last tags besides added nothing
    # (2026-12-07).
    "noun_capitalised",  # the share of the noun's answers that were capitalised, if this span is, else 1 - it
    "noun_digits",  # the same for holding a digit
    "noun_length",  # minus the distance of this span's log length from the mean of the noun's answers
)
# What the answers to questions asking for one noun looked like in the fitted data (``fit.noun_shapes``):
# the share capitalised, the share holding a digit, the mean log length in words (the "capitalised",
# "digits" and "length" features of each question's best proposal).
NounShape = tuple[float, float, float]
# The span weights are fitted for each kind of span asked for (``spans.PROPOSERS``: a date's cues are no
# person's), each pulled towards the weights common to all kinds (``fit.fit_spans``). Held apart by
# article on public-dev, as asked: F1 0.293 with one set of weights, 0.319 with one per kind, 0.329
# with the last four features besides (conv-dev 0.220, 0.220, 0.224; 2026-12-05).

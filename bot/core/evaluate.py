"""Answer quality over a question set: top-1 and top-3 accuracy, abstention, false abstentions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.answer import short_answer_text
from bot.core.answering.fitting import Group, Prediction, contains_answer, curve, measure_group
from bot.core.answering.model import neutral_model
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.results import SearchResult
from bot.core.corpus import Article, Corpus, Passage, article_id, build_corpus
from bot.core.text import tokenizer_for


class EvalFileError(ValueError):
    """An evaluation file line that is not {"q": str, "expect": [str, ...] | null}."""


@dataclass(frozen=True)
class EvalCase:
    """A question and the phrases of which the top passage must contain one (None: must abstain)."""

    q: str
    expect: tuple[str, ...] | None


@dataclass(frozen=True)
class EvalReport:
    """The figures of one evaluation run and the questions that missed."""

    answerable: int
    unanswerable: int
    top1: float
    top3: float
    abstention: float
    false_abstentions: int
    misses: tuple[str, ...]

    def lines(self) -> list[str]:
        """Return the report as printable lines."""
        return [
            f"answerable questions:   {self.answerable}",
            f"top-1 accuracy:         {self.top1:.1%}",
            f"top-3 accuracy:         {self.top3:.1%}",
            f"unanswerable questions: {self.unanswerable}",
            f"abstention accuracy:    {self.abstention:.1%}",
            f"false abstentions:      {self.false_abstentions}",
            *(f"miss: {miss}" for miss in self.misses),
        ]


def read_cases(path: Path) -> list[EvalCase]:
    """Return the cases of a JSON-lines file; raise EvalFileError naming the bad line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question, expect = row["q"], row["expect"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise EvalFileError(f"{path}:{number}: not a {{'q': ..., 'expect': ...}} object ({error})") from error
        if not isinstance(question, str) or not (
            expect is None or (isinstance(expect, list) and expect and all(isinstance(e, str) for e in expect))
        ):
            raise EvalFileError(f"{path}:{number}: 'q' must be text and 'expect' a non-empty list of text or null")
        cases.append(EvalCase(question, None if expect is None else tuple(expect)))
    return cases


@dataclass
class Tally:
    """Counts of one system on one set of questions."""

    answerable: int = 0
    unanswerable: int = 0
    top1: int = 0
    top3: int = 0
    abstained_right: int = 0
    false_abstentions: int = 0
    short_answers: int = 0
    short_right: int = 0
    claims: int = 0  # questions answered in the answer tier (no caveat)
    claimed: int = 0  # ... that are answerable
    claimed_right: int = 0  # ... whose best passage holds a gold answer
    claimed_unanswerable: int = 0  # ... that are unanswerable

    def add_tier(self, answers: Sequence[str], texts: Sequence[str], tier: str) -> None:
        """Count a claim: an answer given in the answer tier, right or wrong."""
        if tier != "answer" or not texts:
            return
        self.claims += 1
        self.claimed += bool(answers)
        self.claimed_right += bool(answers) and contains_answer(texts[0], answers)
        self.claimed_unanswerable += not answers

    def add_short(self, answers: Sequence[str], short: str | None) -> None:
        """Count a short answer: given at all, and overlapping a gold answer (one contains the other)."""
        if short is None or not answers:
            return
        self.short_answers += 1
        folded = short.casefold()
        self.short_right += any(a.casefold() in folded or folded in a.casefold() for a in answers)

    def add(self, answers: Sequence[str], texts: Sequence[str]) -> None:
        """Count one question: the gold answers (empty: must abstain) and the texts returned, best first."""
        if not answers:
            self.unanswerable += 1
            self.abstained_right += not texts
            return
        self.answerable += 1
        self.top1 += bool(texts) and contains_answer(texts[0], answers)
        self.top3 += any(contains_answer(text, answers) for text in texts[:3])
        self.false_abstentions += not texts

    def figures(self) -> dict[str, float]:
        """Return top-1 and top-3 (of answerable), abstention and false abstentions, and overall (of all)."""
        total = self.answerable + self.unanswerable
        return {
            "top1": self.top1 / max(self.answerable, 1),
            "top3": self.top3 / max(self.answerable, 1),
            "abstention": self.abstained_right / max(self.unanswerable, 1),
            "false_abstentions": self.false_abstentions / max(self.answerable, 1),
            "overall": (self.top1 + self.abstained_right) / max(total, 1),
            "claimed": self.claimed / max(self.answerable, 1),
            "claim_right": self.claimed_right / max(self.claims, 1),
            "told": 1 - self.claimed_unanswerable / max(self.unanswerable, 1),
        }


def evaluate(search: Callable[[str, int], SearchResult], cases: Iterable[EvalCase], *, k: int = 3) -> EvalReport:
    """Return how well a search function (Index.search, say) answers the cases."""
    tally = Tally()
    misses: list[str] = []
    for case in cases:
        texts = [hit.passage.text for hit in search(case.q, k).hits]
        tally.add(case.expect or (), texts)
        if case.expect is None and texts:
            misses.append(f"answered {case.q!r} with {texts[0]!r}")
        elif case.expect is not None and not (texts and contains_answer(texts[0], case.expect)):
            misses.append(f"{case.q!r} -> {texts[0] if texts else 'no answer'!r}")
    answerable, unanswerable = tally.answerable, tally.unanswerable
    return EvalReport(
        answerable,
        unanswerable,
        tally.top1 / answerable if answerable else 1.0,
        tally.top3 / answerable if answerable else 1.0,
        tally.abstained_right / unanswerable if unanswerable else 1.0,
        tally.false_abstentions,
        tuple(misses),
    )


# --- SQuAD 2.0 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SquadQuestion:
    """A SQuAD question: its article, its gold answers (none: unanswerable by design)."""

    article: str
    question: str
    answers: tuple[str, ...]


def read_squad(path: Path) -> list[tuple[Article, list[SquadQuestion]]]:
    """Return each article of a SQuAD-format file (its paragraphs as the body) with its questions."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EvalFileError(f"{path}: not a SQuAD file ({error})") from error
    articles = []
    for entry in data:
        title = str(entry["title"]).replace("_", " ")
        paragraphs = tuple(" ".join(p["context"].split()) for p in entry["paragraphs"])
        article = Article(article_id("2000-01-01", title), title, "2000-01-01", "Wikipedia", None, paragraphs)
        questions = [
            SquadQuestion(article.id, qa["question"], tuple(a["text"] for a in qa.get("answers", ())))
            for p in entry["paragraphs"]
            for qa in p["qas"]
        ]
        articles.append((article, questions))
    return articles


def _baseline(passages: Sequence[Passage]) -> Callable[[str], list[str]]:
    """Return the textbook baseline: rank-bm25 BM25Okapi over the same sentences and terms, never abstaining."""
    import rank_bm25  # the baseline only: the bot's own scores never call it

    texts = [passage.text for passage in passages]
    # Each passage's terms in its article's language; a question's in every language of the passages.
    tokenizers = [tokenizer_for(code) for code in dict.fromkeys(passage.language for passage in passages)]
    okapi = rank_bm25.BM25Okapi([tokenizer_for(p.language).terms(p.text) or ["\0"] for p in passages])

    def search(question: str) -> list[str]:
        scores = okapi.get_scores([term for tokenizer in tokenizers for term in tokenizer.terms(question)])
        order = sorted(range(len(texts)), key=lambda n: (-scores[n], n))[:3]
        return [texts[n] for n in order]

    return search


def evaluate_squad(
    path: Path, *, all_in_one: bool = False, k: int = 3, policy: AnswerPolicy | None = None
) -> dict[str, dict[str, Tally]]:
    """Return the bot's and the baseline's tallies per article and in total ("*") over a SQuAD file.

    Each article is its own corpus, or with all_in_one every article shares one corpus.
    """
    from bot.core.serving import Index  # evaluate is imported by engine's users; keep the cycle out

    articles = read_squad(path)
    tallies: dict[str, dict[str, Tally]] = {"bot": {"*": Tally()}, "baseline": {"*": Tally()}}
    groups = [articles] if all_in_one else [[pair] for pair in articles]
    for group in groups:
        engine = Index.build(build_corpus(article for article, _ in group), policy=policy)
        baseline = _baseline(engine.corpus.passages)
        for article, questions in group:
            for system in tallies.values():
                system[article.title] = Tally()
            for question in questions:
                result = engine.search(question.question, k)
                texts = [hit.passage.text for hit in result.hits]
                tallies["bot"]["*"].add_short(question.answers, short_answer_text(result))
                for name, found in (("bot", texts), ("baseline", baseline(question.question))):
                    tallies[name][article.title].add(question.answers, found)
                    tallies[name]["*"].add(question.answers, found)
    return tallies


def squad_lines(tallies: dict[str, dict[str, Tally]]) -> list[str]:
    """Return the SQuAD figures as a table: per article and in total, the bot beside the baseline."""
    head = f"{'article':<24} {'system':<9} {'top-1':>6} {'top-3':>6} {'abstain':>8} {'false-abst':>10} {'overall':>8}"
    lines = [head, "-" * len(head)]
    total = tallies["bot"]["*"]
    short = (
        f"short answers (top passage, how many/when/who): {total.short_answers} given, "
        f"{total.short_right / max(total.short_answers, 1):.1%} of them overlap a gold answer"
    )
    for article in [*(name for name in tallies["bot"] if name != "*"), "*"]:
        for system in ("bot", "baseline"):
            f = tallies[system][article].figures()
            label = "TOTAL" if article == "*" else article[:24]
            lines.append(
                f"{label:<24} {system:<9} {f['top1']:>6.1%} {f['top3']:>6.1%} {f['abstention']:>8.1%} "
                f"{f['false_abstentions']:>10.1%} {f['overall']:>8.1%}"
            )
    return [*lines, short]


def baseline_lines(passages: Sequence[Passage], cases: Iterable[EvalCase]) -> list[str]:
    """Return the textbook baseline's figures on a question file, to print beside the bot's."""
    search = _baseline(passages)
    tally = Tally()
    for case in cases:
        tally.add(case.expect or (), search(case.q))
    f = tally.figures()
    return [
        "textbook baseline (rank-bm25 BM25Okapi over the same sentences and terms, never abstains):",
        f"top-1 accuracy:         {f['top1']:.1%}",
        f"top-3 accuracy:         {f['top3']:.1%}",
        f"abstention accuracy:    {f['abstention']:.1%}",
    ]


# --- Cross-validated figures of the fitted model ---------------------------------------------------


def measure_sets(
    squad: Path | None, own: Sequence[Path], corpus: Corpus | None, *, policy: AnswerPolicy | None = None
) -> tuple[list[Group], dict[tuple[str, int], list[str]]]:
    """Return one group per SQuAD article and one for the shipped corpus with the own question files,
    each question measured, and the textbook baseline's answers beside."""
    from bot.core.serving import Index

    jobs: list[tuple[str, Corpus, list[tuple[str, tuple[str, ...], str]]]] = []
    for article, questions in read_squad(squad) if squad is not None else []:
        asked = [(q.question, q.answers, "squad") for q in questions]
        jobs.append((article.title, build_corpus([article]), asked))
    if own and corpus is not None:
        asked = [(case.q, case.expect or (), path.name) for path in own for case in read_cases(path)]
        jobs.append(("own corpus", corpus, asked))
    groups, baseline = [], {}
    model = neutral_model()
    for name, each, asked in jobs:
        engine = Index.build(each, policy=policy, model=model)
        search = _baseline(each.passages)
        groups.append(measure_group(name, engine.answerer, asked))
        for number, (question, _, _) in enumerate(asked):
            baseline[(name, number)] = search(question)
    return groups, baseline


def cross_validation_lines(
    groups: Sequence[Group], predictions: Sequence[Prediction], baseline: dict[tuple[str, int], list[str]]
) -> list[str]:
    """Return the held-out figures per group and in total (SQuAD articles; each own file), beside the baseline."""
    by_sample = {id(p.sample): p for p in predictions}
    rows: dict[str, dict[str, Tally]] = {"bot": {}, "baseline": {}}
    for group in groups:
        for number, sample in enumerate(group.samples):
            prediction = by_sample[id(sample)]
            keys = [group.name, "SQuAD TOTAL"] if sample.source == "squad" else [sample.source]
            for key in keys:
                rows["bot"].setdefault(key, Tally()).add(sample.answers, list(prediction.texts))
                rows["bot"][key].add_tier(sample.answers, list(prediction.texts), prediction.tier)
                rows["baseline"].setdefault(key, Tally()).add(sample.answers, baseline[(group.name, number)])
    head = (
        f"{'held out':<26} {'system':<9} {'top-1':>6} {'top-3':>6} {'abstain':>8} {'false-abst':>10} {'overall':>8}"
        f" {'claimed':>8} {'right':>6} {'told':>6}"
    )
    lines = [
        "claimed: answerable questions answered in the answer tier (no caveat); right: of all such claims, those "
        "whose quote holds a gold answer (a claim on an unanswerable question is wrong); told: unanswerable "
        "questions refused or answered only with the closest passages",
        head,
        "-" * len(head),
    ]
    order = [key for key in rows["bot"] if key != "SQuAD TOTAL" and "." not in key]
    order += [key for key in rows["bot"] if key == "SQuAD TOTAL"] + [key for key in rows["bot"] if "." in key]
    for key in order:
        for system in ("bot", "baseline"):
            f = rows[system][key].figures()
            tiers = f" {f['claimed']:>8.1%} {f['claim_right']:>6.1%} {f['told']:>6.1%}" if system == "bot" else ""
            lines.append(
                f"{key[:26]:<26} {system:<9} {f['top1']:>6.1%} {f['top3']:>6.1%} {f['abstention']:>8.1%} "
                f"{f['false_abstentions']:>10.1%} {f['overall']:>8.1%}{tiers}"
            )
    return lines


def curve_lines(predictions: Sequence[Prediction]) -> list[str]:
    """Return the held-out abstention curve on SQuAD: abstention beside false abstentions per threshold."""
    squad = [p for p in predictions if p.sample.source == "squad"]
    lines = ["threshold  abstains-on-unanswerable  false-abstentions   (SQuAD, held-out probabilities)"]
    for threshold, abstained, refused in curve(squad, [t / 20 for t in range(1, 20)]):
        lines.append(f"{threshold:>9.2f}  {abstained:>24.1%}  {refused:>17.1%}")
    return lines

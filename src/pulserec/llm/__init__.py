"""Language-model extras: optional generated text kept off the request path."""

from pulserec.llm.generate import Generator, GeneratorError
from pulserec.llm.openai_compat import OpenAICompatGenerator, make_generator
from pulserec.llm.rewriter import ExplanationRewriter

__all__ = [
    "ExplanationRewriter",
    "Generator",
    "GeneratorError",
    "OpenAICompatGenerator",
    "make_generator",
]

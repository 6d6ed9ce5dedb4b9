"""``pulserec bench features``: what each language-model feature costs on the request path.

In process over a served data dir (the ml-100k demo's by default), answer cache off so every
call computes: recommend without and with explanations, personalised search and chat, p50/p99
over the same users.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pulserec.app.runtime import assemble
from pulserec.app.settings import Settings
from pulserec.core.config import limit_threads
from pulserec.llm.chat import ChatService
from pulserec.storage import open_store
from pulserec_bench.timing import percentiles_ms

REQUESTS = ("a funny sci-fi film from the 90s", "something with cowboys", "scary but not gory")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pulserec bench features", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="a served data dir")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    limit_threads()
    import torch

    torch.set_num_threads(1)
    config = replace(Settings.load().engine, answer_cache=0, category_label="genre")
    runtime = assemble(open_store(args.data_dir), config, args.data_dir, progress=False)
    engine, chat = runtime.engine, ChatService(runtime.engine)
    users = [
        engine.state.users.id_of(i) for i in range(min(len(engine.state.users), args.requests))
    ]
    n = len(users)
    rows = {
        "recommend": percentiles_ms(lambda i: engine.recommend(users[i], 10), n),
        "recommend explain=true": percentiles_ms(
            lambda i: engine.recommend(users[i], 10, explain=True), n
        ),
        "search (personalised)": percentiles_ms(
            lambda i: engine.search(REQUESTS[i % 3] + f" {i}", users[i], 10), n
        ),
        "chat": percentiles_ms(lambda i: chat.reply(REQUESTS[i % 3], users[i], 10), n),
    }
    for name, (p50, p99) in rows.items():
        print(f"{name:<26} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

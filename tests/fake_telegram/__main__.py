"""Run the fake Telegram Bot API server on its own: ``python -m tests.fake_telegram``.

Useful for running the bot by hand or from a benchmark in another process; the ``/_fake/*``
control endpoints (create_user, send_text, press_button, inject_update, sent_messages, stats)
let that process play the users.
"""

from __future__ import annotations

import argparse
import contextlib
import threading

from .records import FaultConfig, RateLimits
from .server import FakeTelegramServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="accept only this token (default: any)")
    parser.add_argument("--rate-limits", action="store_true", help="enforce Telegram limits")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    server = FakeTelegramServer(
        token=args.token,
        host=args.host,
        port=args.port,
        rate_limits=RateLimits() if args.rate_limits else None,
        faults=FaultConfig(rate=args.fault_rate, seed=args.seed) if args.fault_rate else None,
    )
    with server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()

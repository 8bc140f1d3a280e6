"""Property-based tests: generated client input through the engine, Telegram and the web chat."""

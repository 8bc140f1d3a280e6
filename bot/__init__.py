"""Werkmaat's outer layer: settings, the command line, channel adapters, web pages, wiring."""

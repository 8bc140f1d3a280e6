"""Voice notes for clients who read little: espeak-ng speaks, opusenc makes Telegram's OGG/Opus.

Both are Debian packages (`espeak-ng`, `opus-tools`); where they are missing, or a language has
no voice, Werkmaat simply offers no 🔊 button.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import unicodedata
from functools import cached_property

log = logging.getLogger(__name__)

# Our language code → espeak-ng voice. Pashto, Tigrinya and Somali have none in espeak-ng 1.51.
VOICES = {"nl": "nl", "en": "en-gb", "fr": "fr-be", "ar": "ar", "tr": "tr", "uk": "uk",
          "ru": "ru", "fa": "fa", "ro": "ro", "bg": "bg", "sk": "sk", "pl": "pl", "es": "es"}
MAX_CHARS = 2000
TIMEOUT_S = 20


def speakable(text: str) -> str:
    """The text without emoji, bidi marks and bullets, which a synthesiser would spell out."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("So", "Sk", "Cf", "Co", "Cs") or ch in "•·":
            kept.append(" ")
        else:
            kept.append(ch)
    return re.sub(r"[ \t]+", " ", "".join(kept)).strip()[:MAX_CHARS]


class Speech:
    """Finds the tools once; `synthesize` returns OGG/Opus bytes or None."""

    @cached_property
    def _tools(self) -> tuple[str, str] | None:
        espeak, opusenc = shutil.which("espeak-ng"), shutil.which("opusenc")
        if not espeak or not opusenc:
            log.info("voice notes off: espeak-ng or opusenc not installed")
            return None
        return espeak, opusenc

    @cached_property
    def languages(self) -> tuple[str, ...]:
        """Our languages that have a voice on this machine."""
        if self._tools is None:
            return ()
        try:
            listed = subprocess.run([self._tools[0], "--voices"], capture_output=True,
                                    text=True, timeout=TIMEOUT_S, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return ()
        names = {line.split()[1] for line in listed.splitlines()[1:] if len(line.split()) > 1}
        return tuple(code for code, voice in VOICES.items() if voice in names)

    def synthesize(self, text: str, language: str) -> bytes | None:
        if language not in self.languages or self._tools is None:
            return None
        words = speakable(text)
        if not words:
            return None
        espeak, opusenc = self._tools
        try:
            wav = subprocess.run([espeak, "-v", VOICES[language], "-s", "150", "--stdout"],
                                 input=words.encode("utf-8"), capture_output=True,
                                 timeout=TIMEOUT_S, check=True).stdout
            ogg = subprocess.run([opusenc, "--quiet", "--bitrate", "24", "-", "-"], input=wav,
                                 capture_output=True, timeout=TIMEOUT_S, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            log.exception("speech synthesis failed")
            return None
        return ogg or None

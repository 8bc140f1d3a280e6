"""The embedded NLU: runs in-process from installed packages, with no network.

A first backend: character n-gram TF-IDF with logistic regression, trained on the Rasa files
under nlu/data at load (a second or so), plus a crisis lexicon that raises the crisis flag
whatever the classifier says.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from nlu.language_id import LanguageIdentifier
from nlu.training_data import DATA_DIR, load_crisis_lexicon, load_split
from nlu.types import IntentScore, ParseResult

MAX_CHARS = 1000
CRISIS_CONFIDENCE = 0.5  # below this the classifier alone does not raise the crisis flag


def normalise(text: str) -> str:
    """Lowercase, accents off, spaces folded: clients type without care, and so do we."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip()


class EmbeddedNLU:
    name = "embedded"

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier
        from sklearn.pipeline import make_pipeline, make_union

        examples = load_split("train", data_dir)
        if not examples:
            raise RuntimeError(f"no NLU training data under {data_dir / 'train'}")
        features = make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                            preprocessor=normalise),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                            preprocessor=normalise, token_pattern=r"(?u)\b\w+\b"),
        )
        # Logistic loss by SGD: as accurate here as LBFGS logistic regression, 20x faster to train.
        classifier = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, random_state=0)
        self._model = make_pipeline(features, classifier)
        self._model.fit([e.text for e in examples], [e.intent for e in examples])
        self._classes = list(self._model.classes_)
        self._lexicon = [normalise(p) for phrases in load_crisis_lexicon(data_dir).values()
                         for p in phrases if p.strip()]
        self._langid = LanguageIdentifier()

    def in_crisis_lexicon(self, text: str) -> bool:
        norm = f" {normalise(text)} "
        return any(f" {p} " in norm or (len(p) > 6 and p in norm) for p in self._lexicon)

    def parse(self, text: str) -> ParseResult:
        clipped = text[:MAX_CHARS]
        if not normalise(clipped):
            return ParseResult(text, "out_of_scope", 0.0)
        probs = self._model.predict_proba([clipped])[0]
        ranked = sorted(zip(self._classes, probs, strict=True), key=lambda p: -p[1])
        ranking = tuple(IntentScore(str(i), float(p)) for i, p in ranked[:5])
        language, _ = self._langid.identify(clipped)
        intent, confidence = ranking[0].intent, ranking[0].confidence
        in_lexicon = self.in_crisis_lexicon(clipped)
        if in_lexicon and intent != "urgent_help":
            intent, confidence = "urgent_help", max(confidence, 0.9)
        crisis = in_lexicon or (intent == "urgent_help" and confidence >= CRISIS_CONFIDENCE)
        return ParseResult(text, intent, confidence, language, ranking, crisis=crisis)

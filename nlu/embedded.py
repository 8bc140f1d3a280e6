"""The embedded NLU, Werkmaat's default: in-process, from installed packages, no network.

Two models vote with equal weight: logistic regression on multilingual-e5-small sentence
embeddings (it carries meaning across languages, also ones with little data) and a character
and word n-gram TF-IDF model (it learns each language's own spellings, typos and Dutch loan
words). On the held-out split the mix beats either alone by five to eight points (see
docs/nlu.md). A curated crisis lexicon raises the crisis flag whatever the classifiers say.

Embedding the training set takes half a minute, so `werkmaat nlu train` stores the embeddings
and the fitted regression in `nlu/model/`; loading then takes about a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

from nlu.embedders import E5Embedder, Embedder
from nlu.language_id import LanguageIdentifier
from nlu.training_data import DATA_DIR, Example, load_crisis_lexicon, load_split
from nlu.types import IntentScore, ParseResult

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "model"
MAX_CHARS = 1000
# The embedder's cost grows with every token (about 65 ms at 200 characters): its meaning comes
# from the opening of a message, the n-gram model still reads the first MAX_CHARS.
MAX_EMBEDDED_CHARS = 240
CRISIS_CONFIDENCE = 0.5  # below this the classifier alone does not raise the crisis flag
EMBEDDING_WEIGHT = 0.5
LR_C = 16.0


def normalise(text: str) -> str:
    """Lowercase, accents off, spaces folded: clients type without care, and so do we."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip()


def training_fingerprint(examples: list[Example], embedder_id: str) -> str:
    digest = hashlib.sha256(embedder_id.encode())
    for e in examples:
        digest.update(f"{e.intent}\t{e.text}\n".encode())
    return digest.hexdigest()[:16]


class EmbeddingModel:
    """Logistic regression over sentence embeddings, stored as plain numpy arrays."""

    def __init__(self, classes: list[str], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.classes = classes
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float32)

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: list[str]) -> EmbeddingModel:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=LR_C, max_iter=3000).fit(vectors, labels)
        return cls([str(c) for c in lr.classes_], lr.coef_, lr.intercept_)

    def proba(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def train_embedding_model(embedder: Embedder, data_dir: Path = DATA_DIR,
                          model_dir: Path = MODEL_DIR) -> Path:
    """Embed the training split and fit the regression; write both to `model_dir`."""
    examples = load_split("train", data_dir)
    vectors = embedder.encode([e.text[:MAX_CHARS] for e in examples])
    model = EmbeddingModel.fit(vectors, [e.intent for e in examples])
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / "embedding-model.npz"
    meta = {"fingerprint": training_fingerprint(examples, embedder.id),
            "embedder": embedder.id, "examples": len(examples)}
    np.savez_compressed(path, coef=model.coef, intercept=model.intercept,
                        classes=np.array(model.classes), meta=np.array(json.dumps(meta)))
    return path


def load_embedding_model(examples: list[Example], embedder: Embedder,
                         model_dir: Path = MODEL_DIR) -> EmbeddingModel | None:
    """The stored model, if it was trained on exactly these examples with this embedder."""
    path = model_dir / "embedding-model.npz"
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))
        if meta.get("fingerprint") != training_fingerprint(examples, embedder.id):
            return None
        return EmbeddingModel([str(c) for c in stored["classes"]], stored["coef"],
                              stored["intercept"])


def stored_model_is_current(data_dir: Path = DATA_DIR, model_dir: Path = MODEL_DIR) -> bool:
    path = model_dir / "embedding-model.npz"
    if not path.exists():
        return False
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))
    return bool(meta.get("fingerprint") == training_fingerprint(load_split("train", data_dir),
                                                                E5Embedder.id))


class SurfaceModel:
    """Character n-gram TF-IDF with logistic loss: learns each language's spellings and typos.

    Word n-grams added nothing on the held-out split (93.1% either way) and cost 0.4 ms a
    message, so characters (2–5, within word boundaries) it is. Scoring one message by hand from
    the fitted weights takes well under a millisecond, four times less than sklearn's pipeline,
    which validates its input on every call.
    """

    def __init__(self, examples: list[Example]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier

        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                      preprocessor=normalise, dtype=np.float32)
        features = self._chars.fit_transform([e.text for e in examples])
        classifier = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, random_state=0)
        classifier.fit(features, [e.intent for e in examples])
        self.classes = [str(c) for c in classifier.classes_]
        self._weights = np.ascontiguousarray(classifier.coef_.T, dtype=np.float32)
        self._bias = classifier.intercept_.astype(np.float32)
        self._analyze = self._chars.build_analyzer()
        self._vocabulary: dict[str, int] = self._chars.vocabulary_
        self._idf = self._chars.idf_.astype(np.float32)

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The TF-IDF vector sklearn's transform would give (sublinear tf, idf, L2), as
        (indices, values), computed directly: sklearn spends most of its time validating."""
        counts = Counter(i for gram in self._analyze(text)
                         if (i := self._vocabulary.get(gram)) is not None)
        if not counts:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
        indices = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        values = (1.0 + np.log(tf)) * self._idf[indices]
        return indices, values / np.linalg.norm(values)

    def proba(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            indices, values = self.features(text)
            scores = values @ self._weights[indices] + self._bias
            p = 1.0 / (1.0 + np.exp(-scores))  # one-vs-rest logistic, as sklearn normalises it
            rows.append(p / p.sum())
        return np.vstack(rows)


class EmbeddedNLU:
    name = "embedded"

    def __init__(self, data_dir: Path = DATA_DIR, model_dir: Path = MODEL_DIR,
                 embedder: Embedder | None = None) -> None:
        examples = load_split("train", data_dir)
        if not examples:
            raise RuntimeError(f"no NLU training data under {data_dir / 'train'}")
        self._embedder = embedder or E5Embedder()
        stored = load_embedding_model(examples, self._embedder, model_dir)
        if stored is None:
            log.warning("the stored NLU model does not match the training data; training now "
                        "(run `werkmaat nlu train` to store it)")
            train_embedding_model(self._embedder, data_dir, model_dir)
            stored = load_embedding_model(examples, self._embedder, model_dir)
            assert stored is not None
        self._semantic = stored
        self._surface = SurfaceModel(examples)
        if self._surface.classes != self._semantic.classes:
            raise RuntimeError("the two NLU models disagree on the intents: retrain")
        self._classes = self._semantic.classes
        phrases = sorted({normalise(p) for phrases in load_crisis_lexicon(data_dir).values()
                          for p in phrases if p.strip()}, key=len, reverse=True)
        # whole words for short phrases; longer ones also inside a word ("zelfmoordgedachten")
        whole = "|".join(re.escape(p) for p in phrases if len(p) <= 6)
        inside = "|".join(re.escape(p) for p in phrases if len(p) > 6)
        pattern = "|".join(x for x in (f"(?<![^ ])(?:{whole})(?![^ ])" if whole else "",
                                       f"(?:{inside})" if inside else "") if x)
        self._lexicon = re.compile(pattern) if pattern else None
        self._langid = LanguageIdentifier()

    def in_crisis_lexicon(self, text: str) -> bool:
        return bool(self._lexicon and self._lexicon.search(normalise(text)))

    def intent_probabilities(self, texts: list[str]) -> np.ndarray:
        clipped = [t[:MAX_CHARS] for t in texts]
        semantic = self._semantic.proba(self._embedder.encode([t[:MAX_EMBEDDED_CHARS]
                                                               for t in clipped]))
        surface = self._surface.proba(clipped)
        return EMBEDDING_WEIGHT * semantic + (1 - EMBEDDING_WEIGHT) * surface

    @property
    def intents(self) -> list[str]:
        return list(self._classes)

    def parse(self, text: str) -> ParseResult:
        clipped = text[:MAX_CHARS]
        if not normalise(clipped) or not any(ch.isalnum() for ch in clipped):
            return ParseResult(text, "out_of_scope", 0.0)
        probs = self.intent_probabilities([clipped])[0]
        order = np.argsort(-probs)[:5]
        ranking = tuple(IntentScore(self._classes[i], float(probs[i])) for i in order)
        language, language_confidence = self._langid.identify(clipped)
        intent, confidence = ranking[0].intent, ranking[0].confidence
        in_lexicon = self.in_crisis_lexicon(clipped)
        if in_lexicon and intent != "urgent_help":
            intent, confidence = "urgent_help", max(confidence, 0.9)
        crisis = in_lexicon or (intent == "urgent_help" and confidence >= CRISIS_CONFIDENCE)
        return ParseResult(text, intent, confidence, language, ranking, crisis=crisis,
                           language_confidence=language_confidence)

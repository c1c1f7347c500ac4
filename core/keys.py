"""How guessable a secret is: a conservative entropy estimate for `SECRET_KEY` (and any other signing key).

    python -c "import secrets; print(secrets.token_urlsafe(48))"    # make a good key (~384 random bits)

`entropy_bits` charges each character the log2 of its alphabet (lower case, upper case, digits, symbols:
whichever classes the key uses), except where the key is predictable: a repeat of something earlier in it
(`abcabc`, `xxxx`), a run of consecutive characters (`abcd`, `1234`, `9876`), or a word or name
(`password`, `Secret`, `hitscope`) costs a few bits instead. It is an estimate, biased low on purpose:
`secrets.token_urlsafe(48)` (384 bits) always passes, a phrase typed by a person does not. A key of exactly 32
random bytes sits at the limit: about 1 in 100 of them happens to hold a word or a run and is refused.
"""

from __future__ import annotations

import math
import re
import string

MIN_KEY_BITS = 256  # 32 random bytes' worth
MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
PLACEHOLDERS = {"changethis", "change-me", "changeme", "secret", "secret-key", "secretkey", "your-secret-key",
                "replace-me", "replaceme", "todo", "xxx", "default", "password", "dev", "development",
                "test", "production", "prod", "hitscope", "flask", "dash", "insecure"}  # fmt: skip
# Words people put in keys cost about 12 bits wherever they appear (case-insensitive); so does any
# separated token that reads as a word (all letters, one case, vowels in proportion), as in a passphrase.
COMMON_WORDS = ("password", "passwd", "pass", "secret", "admin", "root", "login", "user", "letmein",
                "welcome", "qwerty", "azerty", "asdf", "change", "changeme", "default", "hitscope", "flask",
                "dash", "django", "prod", "production", "staging", "develop", "test", "demo", "token", "session",
                "cookie", "server", "spotify", "music", "hunter", "dragon", "monkey", "master", "shadow",
                "sunshine", "football", "iloveyou", "trustno", "never", "logged", "real")  # fmt: skip
_TOKEN = re.compile(r"[A-Za-z]+|[^A-Za-z]+")
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "-_")


def _alphabet_bits(key: str) -> float:
    size = sum(len(chars) for chars in _CLASSES if any(c in chars for c in key))
    if any(not any(c in chars for chars in _CLASSES) for c in key):
        size += 31  # other punctuation, space and anything else
    return math.log2(max(size, 2))


def _reads_as_word(token: str) -> bool:
    if not 4 <= len(token) <= 14 or not (token.islower() or token.isupper() or token.istitle()):
        return False
    vowels = sum(c in "aeiouyAEIOUY" for c in token) / len(token)
    return 0.25 <= vowels <= 0.65


def _cheap_spans(key: str) -> dict[int, int]:
    """start -> end of the words in `key`: listed words anywhere, and separated word-like tokens."""
    spans: dict[int, int] = {}
    lowered = key.lower()
    for word in COMMON_WORDS:
        for match in re.finditer(re.escape(word), lowered):
            if spans.get(match.start(), 0) < match.end():
                spans[match.start()] = match.end()
    position = 0
    tokens = _TOKEN.findall(key)
    for index, token in enumerate(tokens):
        separated = (index == 0 or not tokens[index - 1][0].isalnum()) and (
            index == len(tokens) - 1 or not tokens[index + 1][0].isalnum()
        )
        if token[0].isalpha() and separated and _reads_as_word(token):
            spans[position] = max(spans.get(position, 0), position + len(token))
        position += len(token)
    return spans


def entropy_bits(key: str) -> float:
    """A low estimate of the key's entropy in bits (0 for an empty key)."""
    if not key:
        return 0.0
    per_char = _alphabet_bits(key)
    bits = 0.0
    i = 0
    words = _cheap_spans(key)
    while i < len(key):
        repeat = _longest_earlier_match(key, i)
        if repeat >= 4:  # a copy of something earlier: where it starts and how long
            bits += math.log2(i + 1) + math.log2(repeat)
            i += repeat
            continue
        run = _sequence_run(key, i)
        if run >= 4:  # abcd, 1234, 9876, aaaa: the start and the step
            bits += per_char + 2
            i += run
            continue
        if i in words:  # a word: about one of 2**12
            bits += 12
            i = words[i]
            continue
        bits += per_char
        i += 1
    return bits


def _longest_earlier_match(key: str, start: int) -> int:
    best = 0
    for length in range(4, len(key) - start + 1):
        if key[start : start + length] in key[: start + length - 1]:
            best = length
        else:
            break
    return best


def _sequence_run(key: str, start: int) -> int:
    if start + 1 >= len(key):
        return 1
    step = ord(key[start + 1]) - ord(key[start])
    if abs(step) > 1:
        return 1
    end = start + 1
    while end + 1 < len(key) and ord(key[end + 1]) - ord(key[end]) == step:
        end += 1
    return end - start + 1


def weak_key_reason(key: str, *, name: str = "SECRET_KEY") -> str | None:
    """Why `key` is too guessable to sign sessions with, or None if it is good enough."""
    if key.strip().lower() in PLACEHOLDERS:
        problem = "is a placeholder"
    elif len(set(key)) <= 1:
        problem = "is one character repeated"
    else:
        bits = entropy_bits(key)
        if bits >= MIN_KEY_BITS:
            return None
        problem = f"is guessable (about {bits:.0f} bits of entropy; at least {MIN_KEY_BITS} are needed)"
    return f"{name} {problem}: APP_ENV=production needs a random one. Make one with\n    {MAKE_ONE}"

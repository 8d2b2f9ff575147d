"""Alpine's apk version ordering, as apk-tools defines it.

Written here because the PyPI option (univers' ``AlpineLinuxVersion``, a Gentoo comparator)
rejects versions real Alpine packages carry (``musl 1.2.4_git20230717-r4``: the ``_git``,
``_svn``, ``_cvs``, ``_hg`` post-release suffixes) and its ``>=`` disagrees with its ``>``.

Grammar: digits separated by dots, an optional letter, any number of ``_suffix[N]`` (pre-release
``alpha < beta < pre < rc``, then the release, then ``cvs < svn < git < hg < p``), an optional
``-rN`` package revision. Tokens are compared pairwise while they are of the same kind; the
first difference in kind decides as apk does (a longer version is newer, unless what follows
is a pre-release suffix).
"""

from __future__ import annotations

import functools

_DIGIT_OR_ZERO, _DIGIT, _LETTER, _SUFFIX, _SUFFIX_NO, _REVISION_NO, _END = range(7)
_PRE = ("alpha", "beta", "pre", "rc")
_POST = ("cvs", "svn", "git", "hg", "p")


class InvalidApkVersion(ValueError):
    pass


def _tokens(text: str) -> list[tuple[int, int]]:
    tokens: list[tuple[int, int]] = []
    i, n, kind = 0, len(text), _DIGIT
    if not text or not text[0].isdigit():
        raise InvalidApkVersion(f"not an apk version: {text!r}")
    while kind != _END:
        value = 0
        if kind == _DIGIT_OR_ZERO and i < n and text[i] == "0":
            start = i
            while i < n and text[i] == "0":
                i += 1
            value = -(i - start)
            if i < n and text[i].isdigit():
                tokens.append((kind, value))
                kind = _DIGIT
                continue
        elif kind in (_DIGIT, _DIGIT_OR_ZERO, _SUFFIX_NO, _REVISION_NO):
            start = i
            while i < n and text[i].isdigit():
                i += 1
            if kind != _SUFFIX_NO and i == start:
                raise InvalidApkVersion(f"not an apk version: {text!r}")
            value = int(text[start:i] or 0)
        elif kind == _LETTER:
            value = ord(text[i])
            i += 1
        elif kind == _SUFFIX:
            for index, name in enumerate(_PRE):
                if text.startswith(name, i):
                    value, i = index - len(_PRE), i + len(name)
                    break
            else:
                for index, name in enumerate(_POST):
                    if text.startswith(name, i):
                        value, i = index, i + len(name)
                        break
                else:
                    raise InvalidApkVersion(f"unknown suffix in apk version {text!r}")
        tokens.append((kind, value))
        previous = kind
        if kind == _SUFFIX:
            kind = _SUFFIX_NO
            continue
        if i >= n:
            kind = _END
        elif text[i] == "." and previous in (_DIGIT, _DIGIT_OR_ZERO):
            kind, i = _DIGIT_OR_ZERO, i + 1
        elif text[i].isalpha() and previous in (_DIGIT, _DIGIT_OR_ZERO):
            kind = _LETTER
        elif text[i] == "_" and previous != _REVISION_NO:
            kind, i = _SUFFIX, i + 1
        elif text.startswith("-r", i) and previous != _REVISION_NO:
            kind, i = _REVISION_NO, i + 2
        else:
            raise InvalidApkVersion(f"not an apk version: {text!r}")
    tokens.append((_END, 0))
    return tokens


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as apk orders versions ``a`` and ``b``."""
    ta, tb = _tokens(a), _tokens(b)
    for (ka, va), (kb, vb) in zip(ta, tb, strict=False):
        if ka != kb:
            # pre-release suffix on one side: that side is older
            if ka == _SUFFIX and va < 0:
                return -1
            if kb == _SUFFIX and vb < 0:
                return 1
            return -1 if ka > kb else 1
        if ka == _END:
            return 0
        if va != vb:
            return -1 if va < vb else 1
    return 0


@functools.total_ordering
class ApkVersion:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        _tokens(text)  # validate
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApkVersion) and compare(self.text, other.text) == 0

    def __lt__(self, other: ApkVersion) -> bool:
        return compare(self.text, other.text) < 0

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"ApkVersion({self.text!r})"

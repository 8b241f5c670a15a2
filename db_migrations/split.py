"""Splits a migration file into statements exactly as the Supabase CLI does.

The CLI (``pkg/parser`` in supabase/cli) scans the file with a small state machine that knows
quotes, dollar quotes, comments, escapes, parentheses and ``BEGIN ATOMIC`` bodies, cuts after
each top-level ``;``, keeps every comment and space inside a statement, then trims trailing
semicolons and surrounding white space and drops empty pieces. ``supabase db push`` stores that
list in ``supabase_migrations.schema_migrations.statements``; storing the same list is what
lets this runner and the CLI recognise each other's history. Its quirks are kept on purpose
(a ``;`` anywhere inside parentheses never splits; nested parentheses close at the first ``)``).
"""

from __future__ import annotations

from dataclasses import dataclass

BEGIN_ATOMIC = "ATOMIC"
END_ATOMIC = "END"


@dataclass
class _Scanned:
    """The statement scanned so far (``text[start:end]``), read without copying it whole."""

    text: str
    start: int
    end: int

    def tail(self, size: int) -> str:
        return self.text[max(self.start, self.end - size) : self.end]

    def since(self, offset: int) -> str:
        return self.text[self.start + offset : self.end]

    def __len__(self) -> int:
        return self.end - self.start


def _is_identifier(char: str) -> bool:
    return char.isalpha() or char.isdigit() or char in "_$"


def _ends_begin_atomic(data: _Scanned) -> bool:
    """True when the statement so far ends with ``BEGIN <space> ATOMIC`` as separate words, any case."""
    text, start = data.text, data.start
    atomic = data.end - len(BEGIN_ATOMIC)
    if atomic < start or text[atomic : data.end].upper() != BEGIN_ATOMIC:
        return False
    if atomic > start and _is_identifier(text[atomic - 1]):
        return False
    end = atomic
    while end > start and text[end - 1].isspace():
        end -= 1
    begin = end - len("BEGIN")
    if begin < start or text[begin:end].upper() != "BEGIN":
        return False
    return begin == start or not _is_identifier(text[begin - 1])


class _State:
    def next(self, char: str, data: _Scanned) -> _State | None:
        """The state after ``char`` (``data`` is the statement so far, ``char`` included);
        None ends the statement."""
        raise NotImplementedError


class _Ready(_State):
    def next(self, char: str, data: _Scanned) -> _State | None:  # noqa: PLR0911 (one return per transition)
        if char == "$":
            return _Tag(offset=len(data) - 1)
        if char in "'\"":
            return _Quote(char)
        if char == "-":
            return _Comment()
        if char == "/":
            return _Block()
        if char == "\\":
            return _Escape()
        if char == ";":
            return None
        if char == "(":
            return _Atomic(self, ")")
        if char in "cC" and _ends_begin_atomic(data):
            return _Atomic(self, END_ATOMIC)
        return self


class _Comment(_State):
    def next(self, char: str, data: _Scanned) -> _State | None:
        if char == "-":
            return _Dollar("\n")
        return _Ready().next(char, data)


class _Block(_State):
    def __init__(self) -> None:
        self.depth = 0

    def next(self, char: str, data: _Scanned) -> _State | None:
        window = data.tail(2)
        if window == "/*":
            self.depth += 1
            return self
        if self.depth == 0:
            return _Ready().next(char, data)
        if window == "*/":
            self.depth -= 1
            if self.depth == 0:
                return _Ready()
        return self


class _Quote(_State):
    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.escape = False

    def next(self, char: str, data: _Scanned) -> _State | None:
        if self.escape:
            if char == self.delimiter:  # a doubled quote stays inside the literal
                self.escape = False
                return self
            return _Ready().next(char, data)
        if char == self.delimiter:
            self.escape = True
        return self


class _Dollar(_State):
    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter

    def next(self, char: str, data: _Scanned) -> _State | None:
        return _Ready() if data.tail(len(self.delimiter)) == self.delimiter else self


class _Tag(_State):
    def __init__(self, offset: int) -> None:
        self.offset = offset

    def next(self, char: str, data: _Scanned) -> _State | None:
        if char == "$":
            return _Dollar(data.since(self.offset))
        if char.isalpha() or char.isdigit() or char == "_":
            return self
        return _Ready().next(char, data)


class _Escape(_State):
    def next(self, char: str, data: _Scanned) -> _State | None:
        return _Ready()


class _Atomic(_State):
    def __init__(self, previous: _State, delimiter: str) -> None:
        self.previous = previous
        self.delimiter = delimiter

    def next(self, char: str, data: _Scanned) -> _State | None:
        current = self.previous.next(char, data)
        if current is not None:
            self.previous = current
        if isinstance(self.previous, _Ready) and data.tail(len(self.delimiter)).upper() == self.delimiter.upper():
            return _Ready()
        return self


@dataclass(frozen=True)
class Piece:
    """One statement as the CLI stores it, and where it starts in its file (0-based offset)."""

    sql: str
    offset: int


def split(sql: str) -> list[Piece]:
    """The file's statements as ``supabase db push`` splits and stores them."""
    pieces: list[Piece] = []
    state: _State = _Ready()
    start = 0

    def emit(end: int) -> None:
        token = sql[start:end]
        trimmed = token.rstrip(";").strip()
        if trimmed:
            pieces.append(Piece(trimmed, start + len(token) - len(token.lstrip())))

    scanned = _Scanned(sql, 0, 0)
    for index, char in enumerate(sql):
        scanned.start, scanned.end = start, index + 1
        following = state.next(char, scanned)
        if following is None:
            emit(index + 1)
            start = index + 1
            state = _Ready()
        else:
            state = following
    if start < len(sql):
        emit(len(sql))
    return pieces

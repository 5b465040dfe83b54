"""Reader for R's serialization format (XDR, versions 2 and 3) and lazy-load databases.

Only what data packages need is decoded: vectors, pairlists, symbols, references,
environments and the common ALTREP classes. Closures and byte code are skipped by
design because no data set stores them.
"""

import bz2
import gzip
import lzma
import struct
import zlib
from dataclasses import dataclass, field

# SEXP type codes from R's Rinternals.h and serialize.c.
NILSXP, SYMSXP, LISTSXP, CLOSXP, ENVSXP, PROMSXP, LANGSXP = 0, 1, 2, 3, 4, 5, 6
SPECIALSXP, BUILTINSXP, CHARSXP, LGLSXP = 7, 8, 9, 10
INTSXP, REALSXP, CPLXSXP, STRSXP, DOTSXP = 13, 14, 15, 16, 17
VECSXP, EXPRSXP, BCODESXP, EXTPTRSXP, WEAKREFSXP, RAWSXP, S4SXP = 19, 20, 21, 22, 23, 24, 25

REFSXP, NILVALUE_SXP, GLOBALENV_SXP, UNBOUNDVALUE_SXP = 255, 254, 253, 252
MISSINGARG_SXP, BASENAMESPACE_SXP, NAMESPACESXP, PACKAGESXP = 251, 250, 249, 248
PERSISTSXP, EMPTYENV_SXP, BASEENV_SXP = 247, 242, 241
ATTRLANGSXP, ATTRLISTSXP, ALTREP_SXP = 240, 239, 238

IS_OBJECT_BIT, HAS_ATTR_BIT, HAS_TAG_BIT = 1 << 8, 1 << 9, 1 << 10
# CHARSXP encoding bits live in the "levels" field (flags >> 12).
LATIN1_MASK, UTF8_MASK, BYTES_MASK = 1 << 2, 1 << 3, 1 << 1

NA_INTEGER = -(2**31)


@dataclass
class RObject:
    """A decoded R value: `value` is a Python list/str/None, `attributes` a name->RObject dict."""

    sexp_type: int
    value: object = None
    attributes: dict = field(default_factory=dict)

    def attr(self, name):
        return self.attributes.get(name)


@dataclass
class RSymbol:
    """An interned R symbol; pairlist tags and attribute names are symbols."""

    name: str


@dataclass
class REnvironment:
    """An R environment; `frame` maps variable names to values when it was serialized."""

    frame: dict = field(default_factory=dict)


class _XdrStream:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("R serialization: unexpected end of data")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int32(self) -> int:
        return struct.unpack(">i", self.take(4))[0]

    def length(self) -> int:
        n = self.int32()
        if n == -1:
            upper, lower = self.int32(), self.int32()
            n = (upper << 32) + (lower & 0xFFFFFFFF)
        return n


def decompress(data: bytes) -> bytes:
    """Undo whichever of gzip, bzip2 or xz wraps an .rds/.rda file (or none)."""
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(data)
    return data


class _Unserializer:
    def __init__(self, data: bytes):
        self.stream = _XdrStream(data)
        self.refs = []

    def run(self):
        s = self.stream
        fmt = s.take(2)
        if fmt != b"X\n":
            raise ValueError(f"R serialization: only XDR format is supported, got {fmt!r}")
        version = s.int32()
        s.int32()  # writer's R version
        s.int32()  # minimal reader R version
        if version == 3:
            s.take(s.int32())  # native encoding name
        elif version != 2:
            raise ValueError(f"R serialization: unsupported version {version}")
        return self.item()

    def _charsxp(self, flags: int):
        n = self.stream.int32()
        if n == -1:
            return None
        raw = self.stream.take(n)
        levels = flags >> 12
        if levels & LATIN1_MASK:
            return raw.decode("latin-1")
        if levels & BYTES_MASK:
            return raw
        return raw.decode("utf-8")

    def _attributes(self, flags: int) -> dict:
        if not flags & HAS_ATTR_BIT:
            return {}
        return self._pairlist_to_dict(self.item())

    @staticmethod
    def _pairlist_to_dict(pairlist) -> dict:
        out = {}
        if isinstance(pairlist, RObject) and pairlist.sexp_type == LISTSXP:
            for tag, val in pairlist.value:
                out[tag.name if isinstance(tag, RSymbol) else str(tag)] = val
        return out

    def _pairlist(self, sexp_type: int, flags: int) -> RObject:
        # Pairlists are serialized as car/cdr chains; walk the cdr iteratively so long
        # lists do not exhaust Python's recursion limit.
        cells, attributes = [], None
        while True:
            attrs = self._attributes(flags)
            if attributes is None:
                attributes = attrs
            tag = self.item() if flags & HAS_TAG_BIT else None
            cells.append((tag, self.item()))
            flags = self.stream.int32()
            kind = flags & 0xFF
            if kind not in (LISTSXP, LANGSXP, ATTRLISTSXP, ATTRLANGSXP):
                tail = self._item_with_flags(flags)
                if tail is not None:
                    cells.append((None, tail))
                break
        return RObject(LISTSXP if sexp_type in (LISTSXP, ATTRLISTSXP) else LANGSXP, cells, attributes)

    def item(self):
        return self._item_with_flags(self.stream.int32())

    def _item_with_flags(self, flags: int):
        s = self.stream
        kind = flags & 0xFF
        if kind == NILVALUE_SXP:
            return None
        if kind in (EMPTYENV_SXP, BASEENV_SXP, GLOBALENV_SXP, BASENAMESPACE_SXP):
            return REnvironment()
        if kind in (UNBOUNDVALUE_SXP, MISSINGARG_SXP):
            return None
        if kind == REFSXP:
            index = flags >> 8
            if index == 0:
                index = s.int32()
            return self.refs[index - 1]
        if kind == PERSISTSXP:
            self._persistent_names()
            value = REnvironment()
            self.refs.append(value)
            return value
        if kind == SYMSXP:
            name = self.item()
            symbol = RSymbol(name if isinstance(name, str) else str(name))
            self.refs.append(symbol)
            return symbol
        if kind in (NAMESPACESXP, PACKAGESXP):
            value = RObject(kind, self._persistent_names())
            self.refs.append(value)
            return value
        if kind == ENVSXP:
            env = REnvironment()
            self.refs.append(env)
            s.int32()  # locked flag
            self.item()  # enclosing environment
            frame = self.item()
            hashtab = self.item()
            self.item()  # attributes
            for table in (frame, hashtab):
                self._merge_frame(env, table)
            return env
        if kind in (LISTSXP, LANGSXP, ATTRLISTSXP, ATTRLANGSXP, DOTSXP, PROMSXP, CLOSXP):
            if kind in (DOTSXP, PROMSXP, CLOSXP):
                return self._pairlist(LISTSXP, flags)
            return self._pairlist(kind, flags)
        if kind == ALTREP_SXP:
            return self._altrep()
        if kind == CHARSXP:
            return self._charsxp(flags)
        if kind in (LGLSXP, INTSXP):
            n = s.length()
            values = list(struct.unpack(f">{n}i", s.take(4 * n)))
            values = [None if v == NA_INTEGER else v for v in values]
            return RObject(kind, values, self._attributes(flags))
        if kind == REALSXP:
            n = s.length()
            return RObject(kind, list(struct.unpack(f">{n}d", s.take(8 * n))), self._attributes(flags))
        if kind == CPLXSXP:
            n = s.length()
            flat = struct.unpack(f">{2 * n}d", s.take(16 * n))
            values = [complex(flat[2 * i], flat[2 * i + 1]) for i in range(n)]
            return RObject(kind, values, self._attributes(flags))
        if kind == STRSXP:
            n = s.length()
            values = [self.item() for _ in range(n)]
            return RObject(kind, values, self._attributes(flags))
        if kind in (VECSXP, EXPRSXP):
            n = s.length()
            values = [self.item() for _ in range(n)]
            return RObject(kind, values, self._attributes(flags))
        if kind == RAWSXP:
            n = s.length()
            return RObject(kind, s.take(n), self._attributes(flags))
        if kind in (SPECIALSXP, BUILTINSXP):
            return RObject(kind, s.take(s.int32()).decode("ascii"))
        if kind == S4SXP:
            return RObject(kind, None, self._attributes(flags))
        if kind in (EXTPTRSXP, WEAKREFSXP):
            value = RObject(kind)
            self.refs.append(value)
            if kind == EXTPTRSXP:
                self.item()  # protected value
                self.item()  # tag
            value.attributes = self._attributes(flags)
            return value
        raise ValueError(f"R serialization: unsupported SEXP type {kind}")

    def _persistent_names(self):
        s = self.stream
        if s.int32() != 0:
            raise ValueError("R serialization: bad persistent name list")
        return [self.item() for _ in range(s.int32())]

    def _merge_frame(self, env: REnvironment, table):
        if isinstance(table, RObject) and table.sexp_type == LISTSXP:
            for tag, val in table.value:
                if isinstance(tag, RSymbol):
                    env.frame[tag.name] = val
        elif isinstance(table, RObject) and table.sexp_type == VECSXP:
            for bucket in table.value:
                self._merge_frame(env, bucket)

    def _altrep(self):
        info = self.item()
        state = self.item()
        attributes = self._pairlist_to_dict(self.item())
        class_name = info.value[0][1].name if isinstance(info, RObject) else ""
        if class_name == "compact_intseq":
            n, first, step = (int(x) for x in state.value)
            return RObject(INTSXP, [first + i * step for i in range(n)], attributes)
        if class_name == "compact_realseq":
            n, first, step = state.value
            return RObject(REALSXP, [first + i * step for i in range(int(n))], attributes)
        if class_name.startswith("wrap_"):
            inner = state.value[0]
            inner.attributes.update(attributes)
            return inner
        if class_name == "deferred_string":
            source = state.value[0][1]
            return RObject(STRSXP, [str(v) for v in source.value], attributes)
        raise ValueError(f"R serialization: unsupported ALTREP class {class_name!r}")


def unserialize(data: bytes):
    """Decode one serialized R object (already decompressed) into RObject/RSymbol/REnvironment."""
    return _Unserializer(data).run()


def read_rds(path: str):
    """Read an .rds file (one compressed serialized object)."""
    with open(path, "rb") as f:
        return unserialize(decompress(f.read()))


def _lazyload_chunk(blob: bytes) -> bytes:
    # Each chunk is a 4-byte big-endian uncompressed length followed by the payload:
    # plain zlib, or a one-byte method tag ('Z' zlib, '2' bzip2, 'X' xz, '0' stored).
    expected = struct.unpack(">I", blob[:4])[0]
    body = blob[4:]
    tag = body[:1]
    if tag == b"2":
        out = bz2.decompress(body[1:])
    elif tag == b"X":
        out = lzma.decompress(body[1:])
    elif tag == b"0":
        out = body[1:]
    elif tag == b"Z":
        out = zlib.decompress(body[1:])
    else:
        out = zlib.decompress(body)
    if len(out) != expected:
        raise ValueError("lazy-load chunk: length mismatch")
    return out


def read_lazyload_db(stem: str) -> dict:
    """Read every variable of an R lazy-load database (`stem`.rdx index + `stem`.rdb data)."""
    with open(stem + ".rdx", "rb") as f:
        index_blob = f.read()
    index = unserialize(_lazyload_chunk(index_blob) if index_blob[:2] != b"\x1f\x8b" else gzip.decompress(index_blob))
    with open(stem + ".rdb", "rb") as f:
        db = f.read()
    parts = dict(zip(index.attr("names").value, index.value))
    variables = parts["variables"]
    out = {}
    for name, key in zip(variables.attr("names").value, variables.value):
        offset, length = (int(x) for x in key.value)
        out[name] = unserialize(_lazyload_chunk(db[offset : offset + length]))
    return out

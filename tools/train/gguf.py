"""Minimal GGUF v3 writer and reader (little-endian, F32 tensors), enough for tachyon-mini.

Layout: magic "GGUF", u32 version, u64 tensor count, u64 KV count, the KV pairs, the
tensor infos (name, u32 n_dims, u64 ne[n_dims] with ne[0] the row length, u32 type,
u64 offset into the data section), zero padding to the alignment, then tensor data,
each tensor starting at a multiple of the alignment.
"""

import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGNMENT = 32

# Value type ids of the GGUF key/value section.
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_SCALAR_FORMATS = {
    UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i",
    FLOAT32: "<f", BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d",
}
GGML_TYPE_F32 = 0


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def _pad(n: int) -> int:
    return (ALIGNMENT - n % ALIGNMENT) % ALIGNMENT


class GgufWriter:
    """Collects typed metadata and F32 tensors in insertion order, then writes one file."""

    def __init__(self):
        self._kv = []
        self._tensors = []

    def add(self, key: str, value_type: int, value):
        """Add a scalar (or a string, for value_type STRING)."""
        self._kv.append((key, value_type, value))

    def add_array(self, key: str, element_type: int, values):
        self._kv.append((key, ARRAY, (element_type, list(values))))

    def add_tensor(self, name: str, array: np.ndarray):
        """Add a tensor given in row-major (numpy) order; GGUF's ne is the reversed shape."""
        self._tensors.append((name, np.ascontiguousarray(array, dtype="<f4")))

    @staticmethod
    def _value(value_type: int, value) -> bytes:
        if value_type == STRING:
            return _string(value)
        if value_type == ARRAY:
            element_type, values = value
            out = [struct.pack("<IQ", element_type, len(values))]
            if element_type == STRING:
                out.extend(_string(v) for v in values)
            else:
                out.append(np.asarray(values, dtype=np.dtype(_SCALAR_FORMATS[element_type])).tobytes())
            return b"".join(out)
        return struct.pack(_SCALAR_FORMATS[value_type], value)

    def write(self, path: str):
        header = [GGUF_MAGIC, struct.pack("<IQQ", GGUF_VERSION, len(self._tensors), len(self._kv))]
        for key, value_type, value in self._kv:
            header.append(_string(key) + struct.pack("<I", value_type) + self._value(value_type, value))
        offset = 0
        offsets = []
        for name, array in self._tensors:
            offsets.append(offset)
            ne = list(reversed(array.shape))
            header.append(_string(name) + struct.pack(f"<I{len(ne)}QIQ", len(ne), *ne, GGML_TYPE_F32, offset))
            offset += array.nbytes + _pad(array.nbytes)
        head = b"".join(header)
        with open(path, "wb") as f:
            f.write(head + b"\0" * _pad(len(head)))
            for name, array in self._tensors:
                f.write(array.tobytes())
                f.write(b"\0" * _pad(array.nbytes))


class _Cursor:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def unpack(self, fmt: str):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def string(self) -> str:
        n = self.unpack("<Q")
        self.pos += n
        return bytes(self.data[self.pos - n : self.pos]).decode("utf-8")

    def value(self, value_type: int):
        if value_type == STRING:
            return self.string()
        if value_type == ARRAY:
            element_type, n = self.unpack("<IQ")
            return [self.value(element_type) for _ in range(n)]
        return self.unpack(_SCALAR_FORMATS[value_type])


def read_gguf(path: str):
    """(metadata dict, {name: numpy array in row-major shape}) of an F32-only GGUF file."""
    with open(path, "rb") as f:
        return _parse(memoryview(f.read()), path)


def write_tensors_like(base_path: str, out_path: str, tensors) -> None:
    """A copy of the F32 GGUF `base_path` with the data of `tensors` ({name: array of the same
    shape}) in place of its own: metadata, vocabulary and layout unchanged."""
    with open(base_path, "rb") as f:
        data = bytearray(f.read())
    _, views = _parse(memoryview(data), base_path)
    for name, array in tensors.items():
        view = views[name]
        if tuple(view.shape) != tuple(array.shape):
            raise ValueError(f"{name}: shape {array.shape}, file has {view.shape}")
        view[...] = np.asarray(array, dtype="<f4")
    with open(out_path, "wb") as f:
        f.write(data)


def _parse(data: memoryview, path: str):
    cur = _Cursor(data)
    if bytes(data[:4]) != GGUF_MAGIC:
        raise ValueError(f"{path}: not a GGUF file")
    cur.pos = 4
    version, n_tensors, n_kv = cur.unpack("<IQQ")
    if version != GGUF_VERSION:
        raise ValueError(f"{path}: GGUF version {version}")
    metadata = {}
    for _ in range(n_kv):
        key = cur.string()
        metadata[key] = cur.value(cur.unpack("<I"))
    infos = []
    for _ in range(n_tensors):
        name = cur.string()
        n_dims = cur.unpack("<I")
        ne = [cur.unpack("<Q") for _ in range(n_dims)]
        ggml_type, offset = cur.unpack("<IQ")
        if ggml_type != GGML_TYPE_F32:
            raise ValueError(f"{path}: tensor {name} is not F32")
        infos.append((name, ne, offset))
    alignment = metadata.get("general.alignment", ALIGNMENT)
    data_start = cur.pos + (alignment - cur.pos % alignment) % alignment
    tensors = {}
    for name, ne, offset in infos:
        count = int(np.prod(ne))
        start = data_start + offset
        tensors[name] = np.frombuffer(data[start : start + 4 * count], dtype="<f4").reshape(list(reversed(ne)))
    return metadata, tensors

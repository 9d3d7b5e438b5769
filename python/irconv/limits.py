"""What a model file may make irconv allocate.

Values stored element by element are checked against the bytes that exist (a reader never
allocates for a declared size before it has seen that the file holds those bytes). Some formats
also let a few bytes stand for many values: TensorFlow's splat constants (one value repeated, or
none = zeros), MXNet's sparse arrays (a dense shape around a few stored rows), string tensors
filled with their last value. Those expansions are allowed up to MAX_EXPANDED_BYTES (1 GiB,
IRCONV_MAX_EXPANDED_BYTES overrides it), so a 1 KB file claiming a 100 GB tensor fails at once.
"""
import os

from .errors import IrconvError

MAX_EXPANDED_BYTES = int(os.environ.get("IRCONV_MAX_EXPANDED_BYTES", 1 << 30))
MAX_RANK = 64       # numpy's limit on array dimensions (the frontends hold constants as numpy arrays)


def numel(shape):
    """Exact element count of a shape (Python ints: no int64 wrap-around for hostile dims)."""
    n = 1
    for d in shape:
        n *= int(d)
    return n


def check_rank(rank, what):
    """Refuses tensors of more dimensions than numpy (and so the frontends) can represent."""
    if rank > MAX_RANK:
        raise IrconvError("%s: rank %d is more than irconv supports (%d)" % (what, rank, MAX_RANK))


def check_expansion(nbytes, what):
    """Refuses to expand a value the file does not store element by element beyond the limit."""
    if nbytes > MAX_EXPANDED_BYTES:
        raise IrconvError("%s: expanding the stored values would allocate %d bytes, more than irconv "
                          "allows for values the file does not store element by element (%d; set "
                          "IRCONV_MAX_EXPANDED_BYTES to raise it)" % (what, nbytes, MAX_EXPANDED_BYTES))

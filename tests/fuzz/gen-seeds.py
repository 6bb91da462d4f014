#!/usr/bin/env python3
"""gen-seeds.py - writes the binary seeds of corpus/msg and corpus/recs (wire
messages in msg.h's layout, host byte order: little-endian here). The text
corpora are written by hand. Run from tests/fuzz; rewrites only its own files."""
import os
import struct

def w(d, name, b):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(b)

TASKS, RESULTS, LOOT = 1, 2, 4
R_DEF, R_CHUNK, R_SHARE, R_STOP, R_RESULT = 1, 2, 3, 4, 5
FIXED, PACKED = 0, 1  # queue.h layouts

def chunk_fixed(job, first, fid, gid, count, elem, data, bulk=0, fname=None):
    b = struct.pack('<BQQQIIBB', R_CHUNK, job, first, fid, gid, count, FIXED, bulk)
    if job == 0:
        n = fname.encode() + b'\0'
        b += struct.pack('<B', len(n)) + n
    b += struct.pack('<Q', elem)
    return b + (b'' if bulk else data)

def chunk_packed(job, first, fid, gid, inputs, fname=None, file=False):
    lay = PACKED | (0x80 if file else 0)
    b = struct.pack('<BQQQIIBB', R_CHUNK, job, first, fid, gid, len(inputs), lay, 0)
    if job == 0:
        n = fname.encode() + b'\0'
        b += struct.pack('<B', len(n)) + n
    b += b''.join(struct.pack('<Q', len(x)) for x in inputs)
    return b + b''.join(inputs)

def define(gid, name):
    return struct.pack('<BIB', R_DEF, gid, len(name)) + name.encode()

def result(job, first, fid, outs, fails=(), ns=1000):
    """outs: bytes per task; fails: (task, status) with the output the message"""
    b = struct.pack('<BQQQIIQ', R_RESULT, job, first, fid, len(outs), len(fails), ns)
    b += b''.join(struct.pack('<I', len(o)) for o in outs) + b''.join(outs)
    return b + b''.join(struct.pack('<ii', t, s) for t, s in fails)

def rhdr(spawned=0, ok=0, qlen=0, flags=0):
    return struct.pack('<BQQQI', RESULTS, spawned, ok, qlen, flags)

m = 'corpus/msg'
w(m, 'tasks-def-fixed', bytes([TASKS]) + define(1, 'square') +
  chunk_fixed(7, 0, 0, 1, 4, 8, bytes(range(32))))
w(m, 'tasks-packed', bytes([TASKS]) + define(2, 'words') +
  chunk_packed(9, 10, 10, 2, [b'alpha', b'', b'gamma delta']) + bytes([R_SHARE]) +
  struct.pack('<BI', R_STOP, 0))
w(m, 'tasks-files', bytes([TASKS]) + chunk_packed(3, 0, 0, 0, [b'/tmp/a', b'/tmp/b'], file=True))
w(m, 'tasks-bulk', bytes([TASKS]) + chunk_fixed(5, 0, 0, 1, 2, 4, b'', bulk=1))
w(m, 'tasks-spawned', bytes([TASKS]) + chunk_packed(0, 0, (1 << 63) | 5, 0, [b'node'], fname='uts'))
w(m, 'results-mixed', rhdr(2, 1, 3, 1) + result(7, 0, 0, [b'ab', b'cd', b'fail\0'], [(2, -5)]) +
  chunk_packed(0, 0, (1 << 63) | 9, 0, [b'x' * 16], fname='child'))
w(m, 'loot', bytes([LOOT, 0, 1]) + chunk_packed(0, 0, (1 << 63) | 1, 0, [b'frame'], fname='f'))
# malformed: zero count, a name without its NUL, a count whose lengths are cut
w(m, 'bad-zero-count', bytes([TASKS]) + chunk_fixed(7, 0, 0, 1, 0, 8, b''))
w(m, 'bad-name', bytes([TASKS]) + chunk_packed(0, 0, 1 << 63, 0, [b'q'], fname='ab')[:-8])
w(m, 'bad-short', bytes([TASKS]) + chunk_packed(9, 0, 0, 2, [b'abc', b'defg'])[:-5])
w(m, 'bad-huge-elem', bytes([TASKS]) + chunk_fixed(7, 0, 0, 1, 3, 1 << 62, b''))

r = 'corpus/recs'
w(r, 'uniform', result(4, 0, 0, [b'aaaa', b'bbbb', b'cccc']))
w(r, 'mixed', result(4, 10, 10, [b'', b'x', b'yyyyy', b'err\0'], [(3, -2)]))
w(r, 'several', result(4, 20, 20, [b'p'] * 5) + result(4, 0, 0, [b'qq'] * 3) +
  result(4, 5, 5, [b'no\0', b'r'], [(0, -1)]))
w(r, 'bad-fail-order', result(4, 0, 0, [b'a\0', b'b\0'], [(1, -1), (0, -1)]))
w(r, 'bad-fail-status', result(4, 0, 0, [b'a\0'], [(0, 3)]))
w(r, 'bad-fail-nonul', result(4, 0, 0, [b'ab'], [(0, -1)]))

#!/usr/bin/python3
"""Writes torch.save checkpoints in both formats, and what the C++ reader must find in them.

Usage: /usr/bin/python3 tests/reference/make_checkpoints.py OUT_DIR

Writes into OUT_DIR:
  resnet18_{zip,legacy}.pth  state dict of torchvision's resnet18 (seeded random init)
  nested_{zip,legacy}.pth    {'bn': {...}, 'decoder': {...}} plus non-tensor values to skip
  dtypes_{zip,legacy}.pth    float16/bfloat16/float64/int64/.../bool tensors and a 0-d scalar
  views_{zip,legacy}.pth     transposed, offset and expanded views sharing one storage, a Parameter
  {nested,dtypes,views}_{p4_zip,p5_legacy}.pth   the same with pickle protocols 4 and 5
  torch_checkpoint_expected.json
      {file: {key: {dtype, shape, stride, offset, numel, bits_sum, bits_wsum, values}}}
      bits_sum and bits_wsum are sum(b) and sum(b * (i + 1)) modulo 2**64, where b[i] is the
      uint32 bit pattern of element i of the row-major float32 copy: exact, order-sensitive
      checks of big tensors. `value_bits` lists those bit patterns (JSON has no inf or -0.0)
      for every element of small tensors, the first 16 else.
"""
import collections
import json
import os
import sys

import numpy as np
import torch
import torchvision

SMALL = 100
# torch.save's default pickle protocol is 2; 4 and 5 add FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE.
FORMATS = [('zip', True, 2), ('legacy', False, 2), ('p4_zip', True, 4), ('p5_legacy', False, 5)]


def resnet18():
    torch.manual_seed(0)
    return torchvision.models.resnet18().state_dict()


def nested():
    torch.manual_seed(1)
    return {
        'bn': collections.OrderedDict([
            ('conv1.weight', torch.randn(4, 3, 3, 3)),
            ('bn1.running_var', torch.rand(4)),
            ('bn1.num_batches_tracked', torch.tensor(5)),
        ]),
        'decoder': {'layer1': {'0': {'weight': torch.randn(2, 4)}}, 'deconv.bias': torch.randn(3)},
        'epoch': 7,
        'name': 'rd',
        'nothing': None,
        'history': [torch.zeros(2)],  # lists are not weights: skipped
    }


def dtypes():
    torch.manual_seed(2)
    return {
        'f16': torch.randn(3, 4).half(),
        'f16_special': torch.tensor([0.0, -0.0, 6.0e-8, 65504.0, float('inf'), -float('inf'), 1e-5],
                                    dtype=torch.float16),
        'bf16': torch.randn(5).bfloat16(),
        'f64': torch.randn(2, 3, dtype=torch.float64),
        'i64': torch.arange(-3, 3, dtype=torch.int64) * 1000003,
        'i32': torch.tensor([-2**31, 0, 2**31 - 1], dtype=torch.int32),
        'i16': torch.tensor([-32768, 7, 32767], dtype=torch.int16),
        'i8': torch.tensor([-128, 0, 127], dtype=torch.int8),
        'u8': torch.tensor([0, 1, 255], dtype=torch.uint8),
        'bool': torch.tensor([True, False, True]),
        'scalar': torch.tensor(3.5),
        'empty': torch.zeros(0, 3),
    }


def views():
    torch.manual_seed(3)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return collections.OrderedDict([
        ('base', base),
        ('transposed', base.t()),
        ('row', base[2]),
        ('column', base[:, 3]),
        ('block', base[1:3, 2:5]),
        ('expanded', torch.arange(3.0).view(3, 1).expand(3, 4)),
        ('param', torch.nn.Parameter(torch.randn(3))),
    ])


def bits_checks(flat):
    bits = flat.view(np.uint32).astype(np.uint64)
    weights = np.arange(1, bits.size + 1, dtype=np.uint64)
    with np.errstate(over='ignore'):
        return int(bits.sum(dtype=np.uint64)), int((bits * weights).sum(dtype=np.uint64))


def expectation(t):
    flat = t.detach().contiguous().float().numpy().reshape(-1).copy()
    bits_sum, bits_wsum = bits_checks(flat)
    head = flat if flat.size <= SMALL else flat[:16]
    return {
        'dtype': str(t.dtype).replace('torch.', ''),
        'shape': list(t.shape),
        'stride': list(t.stride()),
        'offset': t.storage_offset(),
        'numel': t.numel(),
        'bits_sum': bits_sum,
        'bits_wsum': bits_wsum,
        'value_bits': [int(b) for b in head.view(np.uint32)],
    }


def flatten(obj, prefix=''):
    """The reader's rule: nested dict keys joined with '.', non-tensor values skipped."""
    out = {}
    for key, value in obj.items():
        name = f'{prefix}.{key}' if prefix else str(key)
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, dict):
            out.update(flatten(value, name))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    expected = {}
    for name, make in [('resnet18', resnet18), ('nested', nested), ('dtypes', dtypes), ('views', views)]:
        obj = make()
        for fmt, zip_format, protocol in FORMATS if name != 'resnet18' else FORMATS[:2]:
            file = f'{name}_{fmt}.pth'
            torch.save(obj, os.path.join(out_dir, file), _use_new_zipfile_serialization=zip_format,
                       pickle_protocol=protocol)
            expected[file] = {k: expectation(t) for k, t in flatten(obj).items()}
    path = os.path.join(out_dir, 'torch_checkpoint_expected.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    os.replace(path + '.tmp', path)


if __name__ == '__main__':
    main()

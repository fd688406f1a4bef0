"""Run by /usr/bin/python3: bench/teacher_int8_probe.py > bench/results/teacher-int8-probe-DATE.json

The teacher (layer1-3) of wide_resnet50_2 and resnet18 at 256 px, batch 8, 2 threads:
oneDNN fp32 and bf16 (torch.utils.mkldnn) against oneDNN int8 (PyTorch's static post-training
quantisation, 'onednn' engine: per-channel weights, VNNI convolutions)."""
import copy, json, os, sys
import torch, torchvision
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import prepare_fx, convert_fx
from torch.utils import mkldnn as mk

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import timed  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)
out = {"engines": torch.backends.quantized.supported_engines, "results": []}
torch.backends.quantized.engine = "onednn" if "onednn" in torch.backends.quantized.supported_engines else "fbgemm"
out["engine"] = torch.backends.quantized.engine
x = torch.randn(8, 3, 256, 256)

for name in sys.argv[1:] or ["resnet18", "wide_resnet50_2"]:
    m = getattr(torchvision.models, name)().eval()
    teacher = torch.nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3).eval()
    with torch.no_grad():
        ref = teacher(x)
        row = {"backbone": name}
        for dt, key in [(torch.float32, "fp32"), (torch.bfloat16, "bf16")]:
            mm = mk.to_mkldnn(copy.deepcopy(teacher), dt)
            row[f"{key}_images_per_second"] = 8 / timed(lambda: mm(x.to_mkldnn(dt)).to_dense())
        q = prepare_fx(copy.deepcopy(teacher), get_default_qconfig_mapping(torch.backends.quantized.engine), (x,))
        for _ in range(4):
            q(torch.randn(8, 3, 256, 256))
        q = convert_fx(q)
        got = q(x)
        row["int8_images_per_second"] = 8 / timed(lambda: q(x))
        row["int8_max_error_relative"] = float((got - ref).abs().max() / ref.abs().max())
        row["int8_over_bf16"] = row["int8_images_per_second"] / row["bf16_images_per_second"]
    out["results"].append(row)
    print(json.dumps(row), file=sys.stderr)
print(json.dumps(out, indent=2))

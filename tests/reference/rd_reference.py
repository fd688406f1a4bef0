"""The paper's network and scoring pipeline in PyTorch, for tests and benchmarks (not shipped).

Written from the paper's description and the reference code's parameter names: the OCBE
("bn": MFF + OCE) and the mirrored decoder, the torchvision teacher's layer1..layer3, and the
test-time map of the reference code (1 - cos per scale, bilinear align_corners upsampling, sum,
scipy gaussian_filter sigma 4 in float64, score = max).
"""
import numpy as np
import scipy.ndimage
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def randomise_bn(module):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)


def teacher_features(model, x, with_layer4=False):
    x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    f1 = model.layer1(x)
    f2 = model.layer2(f1)
    f3 = model.layer3(f2)
    if with_layer4:  # the reference code computes layer4 and throws it away
        model.layer4(f3)
    return [f1, f2, f3]


# ---- the reference architecture (OCBE + decoder), by the reference code's names ----
def conv3x3(i, o, stride=1):
    return nn.Conv2d(i, o, 3, stride, 1, bias=False)


def conv1x1(i, o, stride=1):
    return nn.Conv2d(i, o, 1, stride, bias=False)


def deconv2x2(i, o):
    return nn.ConvTranspose2d(i, o, 2, 2, bias=False)


class DeBasic(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride, upsample, base_width):
        super().__init__()
        self.conv1 = deconv2x2(inplanes, planes) if stride == 2 else conv3x3(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.upsample = upsample

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (self.upsample(x) if self.upsample is not None else x))


class DeBottle(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride, upsample, base_width):
        super().__init__()
        w = int(planes * base_width / 64)
        self.conv1 = conv1x1(inplanes, w)
        self.bn1 = nn.BatchNorm2d(w)
        self.conv2 = deconv2x2(w, w) if stride == 2 else conv3x3(w, w)
        self.bn2 = nn.BatchNorm2d(w)
        self.conv3 = conv1x1(w, planes * 4)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.upsample = upsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (self.upsample(x) if self.upsample is not None else x))


class Decoder(nn.Module):
    def __init__(self, block, layers, base_width):
        super().__init__()
        self.inplanes = 512 * block.expansion
        self.layer1 = self.stage(block, 256, layers[0], base_width)
        self.layer2 = self.stage(block, 128, layers[1], base_width)
        self.layer3 = self.stage(block, 64, layers[2], base_width)

    def stage(self, block, planes, blocks, base_width):
        up = nn.Sequential(deconv2x2(self.inplanes, planes * block.expansion), nn.BatchNorm2d(planes * block.expansion))
        mods = [block(self.inplanes, planes, 2, up, base_width)]
        self.inplanes = planes * block.expansion
        mods += [block(self.inplanes, planes, 1, None, base_width) for _ in range(1, blocks)]
        return nn.Sequential(*mods)

    def forward(self, z):
        a = self.layer1(z)
        b = self.layer2(a)
        return [self.layer3(b), b, a]


class OCBE(nn.Module):
    def __init__(self, block, blocks, base_width):
        super().__init__()
        e = block.expansion
        self.conv1 = conv3x3(64 * e, 128 * e, 2)
        self.bn1 = nn.BatchNorm2d(128 * e)
        self.conv2 = conv3x3(128 * e, 256 * e, 2)
        self.bn2 = nn.BatchNorm2d(256 * e)
        self.conv3 = conv3x3(128 * e, 256 * e, 2)
        self.bn3 = nn.BatchNorm2d(256 * e)
        self.conv4 = conv1x1(1024 * e, 512 * e, 1)  # defined, never called (as in the reference)
        self.bn4 = nn.BatchNorm2d(512 * e)
        inplanes = 3 * 256 * e
        down = nn.Sequential(conv1x1(inplanes, 512 * e, 2), nn.BatchNorm2d(512 * e))
        enc = torchvision.models.resnet.BasicBlock if e == 1 else torchvision.models.resnet.Bottleneck
        mods = [enc(inplanes, 512, 2, down, base_width=base_width)]
        mods += [enc(512 * e, 512, base_width=base_width) for _ in range(1, blocks)]
        self.bn_layer = nn.Sequential(*mods)

    def forward(self, f):
        a = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(f[0]))))))
        b = F.relu(self.bn3(self.conv3(f[1])))
        return self.bn_layer(torch.cat([a, b, f[2]], 1))


# ---- RD++ (Tien et al. 2023): the per-scale projection, by the official code's names ----
class ProjLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        widths = [c, c // 2, c // 4, c // 2, c]
        mods = []
        for i in range(4):
            mods += [nn.Conv2d(widths[i], widths[i + 1], 3, 1, 1), nn.InstanceNorm2d(widths[i + 1]), nn.LeakyReLU()]
        self.proj = nn.Sequential(*mods)

    def forward(self, x):
        return self.proj(x)


class Projection(nn.Module):
    """proj_a/b/c over the teacher's three scales; channels from the backbone, not a fixed base."""

    def __init__(self, expansion):
        super().__init__()
        self.proj_a = ProjLayer(64 * expansion)
        self.proj_b = ProjLayer(128 * expansion)
        self.proj_c = ProjLayer(256 * expansion)

    def forward(self, f):
        return [self.proj_a(f[0]), self.proj_b(f[1]), self.proj_c(f[2])]


BACKBONES = {
    "resnet18": (DeBasic, [2, 2, 2], 64, 2),
    "resnet34": (DeBasic, [3, 4, 6], 64, 3),
    "resnet50": (DeBottle, [3, 4, 6], 64, 3),
    "wide_resnet50_2": (DeBottle, [3, 4, 6], 128, 3),
    "wide_resnet101_2": (DeBottle, [3, 4, 23], 128, 3),
}




def raw_map(teacher, student, size):
    total = 0
    for t, s in zip(teacher, student):
        a = 1 - F.cosine_similarity(t, s)
        total = total + F.interpolate(a.unsqueeze(1), size=size, mode="bilinear", align_corners=True)[:, 0]
    return total


def smooth_and_score(raw):
    """scipy-smoothed maps (float64) and max scores of a [N, H, W] array."""
    smooth = np.stack([scipy.ndimage.gaussian_filter(m.astype(np.float64), sigma=4) for m in raw])
    return smooth, smooth.reshape(len(smooth), -1).max(1)

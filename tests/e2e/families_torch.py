"""A Mask R-CNN-shaped ONNX model written by torch's exporter (opset 16, dynamic image size): a
stride-8 backbone, an RPN with TopK proposals and NonMaxSuppression, a RoiAlign box head
(output_half_pixel, as torchvision's aligned=False) over two pyramid levels (MultiScaleRoIAlign's
level mapping, NonZero + Gather per level, ScatterND), per-class box decoding, a score filter
(NonZero + Gather), class-offset NMS, TopK detections, and a RoiAlign (half_pixel) mask head with
ConvTranspose whose mask of each detection's class is picked by a dynamic Gather. torchvision is
not used: NonMaxSuppression and RoiAlign come from autograd Functions with ONNX symbolics.
Imported only when torch is installed."""
import io
import warnings

import onnx
import torch
import torch.nn.functional as F


class _NMS(torch.autograd.Function):
    """ONNX NonMaxSuppression (boxes [1,N,4], scores [1,1,N]) -> selected [K,3]; the forward only
    gives the tracer a tensor of the right type (the export is what is tested)."""
    @staticmethod
    def forward(ctx, boxes, scores, max_out, iou):
        n = min(int(max_out), boxes.shape[1])
        idx = torch.argsort(scores[0, 0], descending=True)[:n]
        return torch.stack([torch.zeros_like(idx), torch.zeros_like(idx), idx], 1)

    @staticmethod
    def symbolic(g, boxes, scores, max_out, iou):
        return g.op("NonMaxSuppression", boxes, scores, max_out, iou)


class _RoiAlign(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, rois, size, scale, aligned):
        return x.new_zeros((rois.shape[0], x.shape[1], size, size))

    @staticmethod
    def symbolic(g, x, rois, size, scale, aligned):
        bidx = g.op("Expand", g.op("Constant", value_t=torch.tensor([0], dtype=torch.int64)),
                    g.op("Unsqueeze", g.op("Gather", g.op("Shape", rois), g.op("Constant", value_t=torch.tensor(0)), axis_i=0),
                         g.op("Constant", value_t=torch.tensor([0]))))
        return g.op("RoiAlign", x, rois, bidx, output_height_i=size, output_width_i=size, sampling_ratio_i=2,
                    spatial_scale_f=scale, mode_s="avg",
                    coordinate_transformation_mode_s="half_pixel" if aligned else "output_half_pixel")


def _decode(ref, d, wx=1.0, wy=1.0, ww=1.0, wh=1.0):
    w = ref[:, 2] - ref[:, 0]
    h = ref[:, 3] - ref[:, 1]
    cx = ref[:, 0] + 0.5 * w
    cy = ref[:, 1] + 0.5 * h
    dx, dy = d[:, 0] / wx, d[:, 1] / wy
    dw = torch.clamp(d[:, 2] / ww, max=4.0)
    dh = torch.clamp(d[:, 3] / wh, max=4.0)
    pcx, pcy = dx * w + cx, dy * h + cy
    pw, ph = torch.exp(dw) * w, torch.exp(dh) * h
    return torch.stack([pcx - 0.5 * pw, pcy - 0.5 * ph, pcx + 0.5 * pw, pcy + 0.5 * ph], 1)


def _clip(b, hw):
    h = hw[0].to(b.dtype)
    w = hw[1].to(b.dtype)
    x = torch.minimum(torch.clamp(b[:, 0::2], min=0.0), w)
    y = torch.minimum(torch.clamp(b[:, 1::2], min=0.0), h)
    return torch.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], 1)


class MaskRCNNLike(torch.nn.Module):
    """Backbone (stride 8) -> RPN (TopK proposals, NMS) -> RoiAlign box head (output_half_pixel) ->
    per-class decode, score filter (NonZero + Gather), class-offset NMS, TopK -> RoiAlign mask head
    (half_pixel) with ConvTranspose -> the mask of each detection's class (dynamic Gather)."""

    def __init__(self, classes=4, pre_nms=60, post_nms=16, dets=8, score_thr=0.35, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.c = classes
        self.pre_nms, self.post_nms, self.dets, self.score_thr = pre_nms, post_nms, dets, score_thr
        self.backbone = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, 2, 1), torch.nn.ReLU(), torch.nn.Conv2d(8, 16, 3, 2, 1), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 16, 3, 2, 1), torch.nn.ReLU())
        self.rpn_conv = torch.nn.Conv2d(16, 16, 3, 1, 1)
        self.rpn_cls = torch.nn.Conv2d(16, 3, 1)
        self.rpn_box = torch.nn.Conv2d(16, 12, 1)
        self.fc = torch.nn.Linear(16 * 7 * 7, 32)
        self.cls = torch.nn.Linear(32, classes)
        self.box = torch.nn.Linear(32, classes * 4)
        self.m1 = torch.nn.Conv2d(16, 16, 3, 1, 1)
        self.m2 = torch.nn.Conv2d(16, 16, 3, 1, 1)
        self.up = torch.nn.ConvTranspose2d(16, 8, 2, 2)
        self.mask = torch.nn.Conv2d(8, classes, 1)
        with torch.no_grad():
            for p in self.parameters():
                p.mul_(2.0)
            self.cls.weight.mul_(4.0)          # confident enough for a mix of classes
        self.down = torch.nn.Conv2d(16, 16, 3, 2, 1)      # a second pyramid level (stride 16)
        self.register_buffer("cell", torch.tensor([[-12., -12., 12., 12.], [-20., -10., 20., 10.],
                                                   [-10., -20., 10., 20.]]))

    @staticmethod
    def _pool(feats, rois, size, aligned):
        """MultiScaleRoIAlign as torchvision exports it: each box's pyramid level from its area
        (LevelMapper: floor(4 + log2(sqrt(area) / 28)) clamped to the levels), RoiAlign per level
        on the boxes of that level (NonZero + Gather, possibly none) written into the result with
        index_put (ScatterND)."""
        area = (rois[:, 2] - rois[:, 0]) * (rois[:, 3] - rois[:, 1])
        lvl = torch.floor(4.0 + torch.log2(torch.sqrt(area) / 28.0) + 1e-6)
        lvl = (torch.clamp(lvl, min=3.0, max=4.0) - 3.0).to(torch.int64)
        out = torch.zeros((rois.shape[0], feats[0].shape[1], size, size), dtype=rois.dtype)
        for level, (f, scale) in enumerate(zip(feats, (0.125, 0.0625))):
            idx = torch.where(lvl == level)[0]
            out[idx] = _RoiAlign.apply(f, rois[idx], size, scale, aligned)
        return out

    def forward(self, image):
        hw = torch._shape_as_tensor(image)[2:]
        f = self.backbone(image)
        t = F.relu(self.rpn_conv(f))
        obj = self.rpn_cls(t).permute(0, 2, 3, 1).reshape(-1)              # [h*w*A]
        deltas = self.rpn_box(t).permute(0, 2, 3, 1).reshape(-1, 4)
        fs = torch._shape_as_tensor(f)
        sy = (torch.arange(fs[2]).to(torch.float32) + 0.5) * 8.0
        sx = (torch.arange(fs[3]).to(torch.float32) + 0.5) * 8.0
        yy, xx = torch.meshgrid(sy, sx, indexing="ij")
        shifts = torch.stack([xx.reshape(-1), yy.reshape(-1), xx.reshape(-1), yy.reshape(-1)], 1)
        anchors = (shifts[:, None, :] + self.cell[None]).reshape(-1, 4)
        k = torch.clamp(torch._shape_as_tensor(obj)[0], max=self.pre_nms)
        top, ti = obj.topk(k)
        props = _clip(_decode(anchors[ti], deltas[ti]), hw)
        sel = _NMS.apply(props[None], torch.sigmoid(top)[None, None], torch.tensor([self.post_nms]), torch.tensor([0.7]))
        props = props[sel[:, 2]]
        feats = (f, F.relu(self.down(f)))
        r = self._pool(feats, props, 7, False)
        h = F.relu(self.fc(r.flatten(1)))
        scores = F.softmax(self.cls(h), -1)[:, 1:]                            # [M, C-1]
        bd = self.box(h).reshape(-1, self.c, 4)[:, 1:]                       # [M, C-1, 4]
        m = props.shape[0]
        boxes = _decode(props[:, None].expand(-1, self.c - 1, -1).reshape(-1, 4), bd.reshape(-1, 4), 10., 10., 5., 5.)
        boxes = _clip(boxes, hw)
        scores = scores.reshape(-1)
        labels = (torch.arange(self.c - 1)[None] + 1).expand(m, -1).reshape(-1)
        keep = torch.nonzero(scores > self.score_thr).reshape(-1)
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        off = boxes + (labels.to(torch.float32) * 1000.0)[:, None]
        sel = _NMS.apply(off[None], scores[None, None], torch.tensor([100]), torch.tensor([0.5]))
        i = sel[:, 2]
        boxes, scores, labels = boxes[i], scores[i], labels[i]
        k = torch.clamp(torch._shape_as_tensor(scores)[0], max=self.dets)
        scores, o = scores.topk(k)
        boxes, labels = boxes[o], labels[o]
        mr = self._pool(feats, boxes, 14, True)
        mh = F.relu(self.m2(F.relu(self.m1(mr))))
        ml = self.mask(F.relu(self.up(mh)))                                  # [N, C, 28, 28]
        masks = torch.sigmoid(ml[torch.arange(ml.shape[0]), labels])[:, None]
        return boxes, labels, scores, masks


def export(size=(64, 80)):
    """The model as torch's TorchScript-based exporter writes it (opset 16), image height and
    width dynamic, traced at `size`."""
    m = MaskRCNNLike().eval()
    b = io.BytesIO()
    x = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # the legacy exporter's deprecation and tracer notes
        torch.onnx.export(m, (x,), b, dynamo=False, opset_version=16, input_names=["image"],
                          output_names=["boxes", "labels", "scores", "masks"],
                          dynamic_axes={"image": {2: "height", 3: "width"}, "boxes": {0: "n"}, "labels": {0: "n"},
                                        "scores": {0: "n"}, "masks": {0: "n"}})
    return onnx.load_from_string(b.getvalue())

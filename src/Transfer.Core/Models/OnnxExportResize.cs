using Transfer.Images;

namespace Transfer.Models;

/// <summary>
/// The ONNX export's resize, reproducing what <c>Predictor</c> does with SkiaSharp 3 (<c>ImageBitmaps.Resize</c>) for
/// images of any size. Stretch: nearest pixel, source index ⌊(i + ½)·in/out⌋. CenterCrop and Pad: the aspect-keeping
/// destination rectangle computed as <c>ImageBitmaps.Resize</c> does (float aspect, integer-truncated position and
/// size), sampled at each output pixel centre with Skia's Mitchell cubic (B = C = ⅓, what <c>SKFilterQuality.High</c>
/// maps to, no mipmaps, clamped at the edges), separable along W then H, clamped to 0–255 and rounded as Skia stores
/// 8-bit pixels. Output pixels outside the rectangle (Pad's borders) are those of the freshly allocated canvas: 0 in
/// every channel, alpha included, which the backbone graph then composites on the model's background colour.
/// ONNX's own Resize offers only the Keys cubic, hence the explicit Gather-and-weigh graph.
/// </summary>
internal static class OnnxExportResize
{
    // Mitchell–Netravali, B = C = 1/3: k(s) = 7/6 s³ − 2 s² + 8/9 on [0, 1); −7/18 s³ + 2 s² − 10/3 s + 16/9 on [1, 2).
    private const float InnerC0 = 8f / 9f;
    private const float InnerC2 = -2f;
    private const float InnerC3 = 7f / 6f;
    private const float OuterC0 = 16f / 9f;
    private const float OuterC1 = -10f / 3f;
    private const float OuterC2 = 2f;
    private const float OuterC3 = -7f / 18f;

    /// <summary>Skia's nearest sampling subtracts one 16.16 fixed-point step, so a centre that maps exactly onto a pixel boundary takes the pixel before it.</summary>
    private const float NearestBias = 1f / 65536f;

    /// <summary>
    /// Appends the resize of <paramref name="image"/> (float RGB [N, 3, h, w], 0–255, any h and w) to
    /// <paramref name="width"/> × <paramref name="height"/>; returns the planar A, R, G, B tensor [N, 4, height, width]
    /// that the backbone graph takes as <c>Pixels</c>.
    /// </summary>
    public static string Append(OnnxGraphWriter w, string image, int width, int height, ResizeMode mode)
    {
        string shape = w.Op("Shape", [image]);
        string inH = w.ToFloat(w.Op("Gather", [shape, w.Int(2)], ("axis", 0L)));
        string inW = w.ToFloat(w.Op("Gather", [shape, w.Int(3)], ("axis", 0L)));
        string outH = w.Float(height);
        string outW = w.Float(width);
        string zero = w.Float(0f);
        string full = w.Float(255f);
        if (mode == ResizeMode.Stretch)
        {
            // SKBitmap.Resize draws the whole image onto the whole canvas: the rectangle is the canvas.
            string rows = Nearest(w, image, 2, inH, height, zero, outH);
            string stretched = Nearest(w, rows, 3, inW, width, zero, outW);
            string opaque = w.Add(w.Mul(w.Op("Slice", [stretched, w.Ints(0), w.Ints(1), w.Ints(1)]), zero), full);
            return w.Op("Concat", [opaque, stretched], ("axis", 1L));
        }

        // float widthAspect = width / image.Width, heightAspect likewise; crop keeps the larger, pad the smaller.
        string widthAspect = w.Div(outW, inW);
        string heightAspect = w.Div(outH, inH);
        string heightSmaller = w.Op("Less", [heightAspect, widthAspect]);
        string useWidth = mode == ResizeMode.CenterCrop ? heightSmaller : w.Op("Not", [heightSmaller]);
        string aspect = w.Where(useWidth, widthAspect, heightAspect);
        string two = w.Float(2f);
        string destY = w.Where(useWidth, w.Truncate(w.Div(w.Sub(outH, w.Mul(inH, aspect)), two)), zero);
        string destX = w.Where(useWidth, zero, w.Truncate(w.Div(w.Sub(outW, w.Mul(inW, aspect)), two)));
        string destWidth = w.Truncate(w.Mul(inW, aspect));
        string destHeight = w.Truncate(w.Mul(inH, aspect));

        // An image already at the input size is not drawn at all (ML.NET's ResizeImages and ImageBitmaps.Resize return it as
        // it is): the cubic's weights become the identity's, 1 on the pixel itself.
        string sameSize = w.Op("And", [w.Op("Equal", [inH, outH]), w.Op("Equal", [inW, outW])]);
        string sampledRows = MitchellCubic(w, image, 2, inH, height, destY, destHeight, zero, sameSize);
        string sampled = MitchellCubic(w, sampledRows, 3, inW, width, destX, destWidth, zero, sameSize);
        string rgb = w.Op("Floor", [w.Add(w.Clamp(sampled, zero, full), w.Float(0.5f))]);

        // Only pixels whose centre lies inside the destination rectangle are drawn; the rest stay as allocated (all 0).
        string inside = w.Op("And", [Inside(w, height, destY, destHeight, column: true), Inside(w, width, destX, destWidth, column: false)]);
        string drawn = w.Where(inside, rgb, zero);
        string alphaPlane = w.Where(inside, full, zero); // [height, width]
        string batchOf = w.Op("Slice", [drawn, w.Ints(0), w.Ints(1), w.Ints(1)]); // [N, 1, height, width]
        string alpha = w.Add(w.Mul(batchOf, zero), alphaPlane);
        return w.Op("Concat", [alpha, drawn], ("axis", 1L));
    }

    /// <summary>Nearest pixel along one axis: Skia maps output pixel centre i + ½ through the inverse scale and takes the pixel it falls in.</summary>
    private static string Nearest(OnnxGraphWriter w, string x, long axis, string inSize, int outSize, string zero, string outF)
    {
        string inverse = w.Div(w.Float(1f), w.Div(outF, inSize));
        string u = w.Sub(w.Mul(Centres(w, outSize), inverse), w.Float(NearestBias));
        string index = w.ToInt64(w.Clamp(w.Floor(u), zero, w.Sub(inSize, w.Float(1f))));
        return w.Op("Gather", [x, index], ("axis", axis));
    }

    /// <summary>
    /// Mitchell cubic along one axis: the destination rectangle [dest, dest + length) maps onto the source [0, in);
    /// output pixel centre i + ½ maps to u = (i + ½)·in/length − dest·in/length (Skia's inverted rectangle-to-rectangle
    /// matrix), and the four source pixels around u − ½ (clamped to the image) are weighed by k(1 + t), k(t), k(1 − t), k(2 − t),
    /// or by 0, 1, 0, 0 when <paramref name="identity"/> holds (the image is already the output size: u − ½ = i, t = 0).
    /// </summary>
    private static string MitchellCubic(OnnxGraphWriter w, string x, long axis, string inSize, int outSize, string dest, string length, string zero, string identity)
    {
        string inverse = w.Div(w.Float(1f), w.Div(length, inSize));
        string translate = w.Mul(w.Op("Neg", [dest]), inverse);
        string u = w.Add(w.Mul(Centres(w, outSize), inverse), translate);
        string v = w.Sub(u, w.Float(0.5f));
        string b = w.Floor(v);
        string t = w.Sub(v, b);
        string one = w.Float(1f);
        string[] weights =
        [
            w.Cubic(w.Add(one, t), OuterC0, OuterC1, OuterC2, OuterC3),
            w.Cubic(t, InnerC0, 0f, InnerC2, InnerC3),
            w.Cubic(w.Sub(one, t), InnerC0, 0f, InnerC2, InnerC3),
            w.Cubic(w.Sub(w.Float(2f), t), OuterC0, OuterC1, OuterC2, OuterC3),
        ];
        string last = w.Sub(inSize, one);
        string? sum = null;
        for (int k = 0; k < 4; k++)
        {
            string index = w.ToInt64(w.Clamp(w.Add(b, w.Float(k - 1)), zero, last));
            string taps = w.Op("Gather", [x, index], ("axis", axis));
            string kept = w.Where(identity, k == 1 ? one : zero, weights[k]);
            string weight = axis == 2 ? w.Op("Reshape", [kept, w.Ints(-1, 1)]) : kept;
            string term = w.Mul(taps, weight);
            sum = sum is null ? term : w.Add(sum, term);
        }

        return sum!;
    }

    /// <summary>Whether each output pixel's centre lies in [dest, dest + length): shape [n, 1] for rows, [n] for columns.</summary>
    private static string Inside(OnnxGraphWriter w, int outSize, string dest, string length, bool column)
    {
        string centres = Centres(w, outSize);
        string inside = w.Op("And", [w.Op("Greater", [centres, dest]), w.Op("Less", [centres, w.Add(dest, length)])]);
        return column ? w.Op("Reshape", [inside, w.Ints(-1, 1)]) : inside;
    }

    /// <summary>The constant vector of pixel centres 0.5, 1.5, …, n − 0.5.</summary>
    private static string Centres(OnnxGraphWriter w, int n) => w.Floats([n], [.. Enumerable.Range(0, n).Select(i => i + 0.5f)]);
}

using SkiaSharp;
using Transfer.Images;

namespace Transfer.Scoring.Tests.Images;

/// <summary>
/// <see cref="ImagePreprocessing.ScaledDecode"/>: JPEG and WebP decoded at the smallest 1/2, 1/4 or 1/8 scale that still
/// covers the input, then resized, give pixels close to a full decode and resize; other formats and the ML.NET-compatible
/// settings are untouched.
/// </summary>
public sealed class ScaledDecodeTests
{
    /// <summary>The stated tolerance: mean absolute difference over all colour planes, in 0–255 units.</summary>
    private const double MeanTolerance = 2.5;

    /// <summary>
    /// The stated tolerance for single pixels with a filtered resize (crop, pad): edges of the drawn shapes move by up to a source pixel.
    /// SkiaSharp 3 draws that resize with a Mitchell cubic and no mipmaps, so the full-size path aliases on large reductions
    /// (3000×2000 → 224: 66 measured); the scaled decode, already reduced by the codec, is the smoother of the two there.
    /// </summary>
    private const double PixelTolerance = 80;

    /// <summary>The stated tolerance for single pixels with <see cref="ResizeMode.Stretch"/>'s nearest-neighbour sampling, which picks one source pixel on an edge where the scaled decode averaged it.</summary>
    private const double NearestPixelTolerance = 128;

    private static readonly ImagePreprocessing Crop = new() { ResizeMode = ResizeMode.CenterCrop, ScaledDecode = false };

    [Theory]
    [InlineData(1600, 1200, 224, 224, 400, 300)] // 1/4
    [InlineData(640, 480, 224, 224, 320, 240)] // 1/2, the bench's JPEGs
    [InlineData(3000, 2000, 224, 224, 375, 250)] // 1/8, a phone photo
    [InlineData(400, 300, 224, 224, 400, 300)] // 1/2 would be 200×150, under the input: full size
    [InlineData(640, 480, 224, 448, 640, 480)] // 1/2 is 320×240, under a 448 height: full size
    public void Decode_ScaledJpeg_SmallestScaleCoveringTheTarget(int width, int height, int targetWidth, int targetHeight, int expectedWidth, int expectedHeight)
    {
        byte[] jpeg = TestImages.Jpeg(width, height, Smooth(width, height));

        using var bitmap = ImageBitmaps.Decode(jpeg, "photo.jpg", Crop with { ScaledDecode = true }, targetWidth, targetHeight);

        Assert.Equal((expectedWidth, expectedHeight), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public void Decode_ScaledRotatedJpeg_CoversTheTargetUpright()
    {
        // Stored 1600×800, EXIF 6 (rotated 90°): upright 800×1600. For a 224×448 target, 1/4 (200×400 upright) is too narrow; 1/2 covers it.
        byte[] jpeg = TestImages.WithExifOrientation(TestImages.Jpeg(1600, 800, Smooth(1600, 800)), 6);

        using var bitmap = ImageBitmaps.Decode(jpeg, "rotated.jpg", Crop with { ScaledDecode = true }, 224, 448);

        Assert.Equal((400, 800), (bitmap.Width, bitmap.Height));
    }

    [Theory]
    [InlineData(ResizeMode.CenterCrop, 1600, 1200)]
    [InlineData(ResizeMode.CenterCrop, 640, 480)]
    [InlineData(ResizeMode.Pad, 3000, 2000)]
    [InlineData(ResizeMode.Stretch, 1600, 1200)]
    public void DecodeToPlanes_ScaledJpeg_WithinToleranceOfFullDecodeAndResize(ResizeMode mode, int width, int height)
    {
        byte[] jpeg = TestImages.Jpeg(width, height, Smooth(width, height));
        var full = new ImagePreprocessing { ResizeMode = mode, ScaledDecode = false };

        var (mean, max) = Difference(jpeg, full, full with { ScaledDecode = true });

        Assert.True(mean > 0, "The scaled decode should take the other path (its pixels differ a little).");
        Assert.True(mean <= MeanTolerance, $"Mean absolute difference {mean:F2} over the stated tolerance {MeanTolerance}.");
        double tolerance = mode == ResizeMode.Stretch ? NearestPixelTolerance : PixelTolerance;
        Assert.True(max <= tolerance, $"Largest pixel difference {max} over the stated tolerance {tolerance}.");
    }

    [Fact]
    public void DecodeToPlanes_ScaledWebp_WithinToleranceOfFullDecodeAndResize()
    {
        byte[] webp = TestImages.Encode(1600, 1200, Smooth(1600, 1200), SKEncodedImageFormat.Webp);

        var (mean, max) = Difference(webp, Crop, Crop with { ScaledDecode = true });

        Assert.True(mean <= MeanTolerance, $"Mean absolute difference {mean:F2} over the stated tolerance {MeanTolerance}.");
        Assert.True(max <= PixelTolerance, $"Largest pixel difference {max} over the stated tolerance {PixelTolerance}.");
    }

    [Fact]
    public void DecodeToPlanes_LargePng_DecodedAtFullSizeAsBefore()
    {
        byte[] png = TestImages.Png(900, 700, Smooth(900, 700));

        var (mean, _) = Difference(png, Crop, Crop with { ScaledDecode = true });

        Assert.Equal(0, mean);
    }

    [Fact]
    public void Compatible_NeverScaled_DefaultScaled_AndKeysSayWhichDecodingMadeAVector()
    {
        Assert.False(ImagePreprocessing.Compatible.ScaledDecode);
        Assert.True(ImagePreprocessing.Default.ScaledDecode);
        Assert.Equal("resize=Stretch;bg=FFFFFF;exif=0", ImagePreprocessing.Compatible.CanonicalKey()); // unchanged: old caches stay valid
        Assert.Equal("resize=CenterCrop;bg=FFFFFF;exif=1;draw=2", Crop.CanonicalKey());
        Assert.Equal("resize=CenterCrop;bg=FFFFFF;exif=1;draw=2;decode=scaled", (Crop with { ScaledDecode = true }).CanonicalKey());
    }

    /// <summary>Low-frequency colour gradients with a few large discs: photo-like content whose edges are few.</summary>
    private static Func<int, int, SKColor> Smooth(int width, int height) => (x, y) =>
    {
        double u = (double)x / width, v = (double)y / height;
        bool disc = Math.Pow(u - 0.35, 2) + Math.Pow(v - 0.4, 2) < 0.02 || Math.Pow(u - 0.7, 2) + Math.Pow(v - 0.65, 2) < 0.015;
        return disc
            ? new SKColor(230, (byte)(40 + (100 * u)), 60)
            : new SKColor((byte)(255 * u), (byte)(255 * v), (byte)(128 + (100 * Math.Sin(6 * u) * Math.Cos(4 * v))));
    };

    private static (double Mean, float Max) Difference(byte[] encoded, ImagePreprocessing a, ImagePreprocessing b)
    {
        const int side = 224;
        var first = new float[4 * side * side];
        var second = new float[4 * side * side];
        ImageDecoder.DecodeToPlanes(encoded, "image", side, side, a, first);
        ImageDecoder.DecodeToPlanes(encoded, "image", side, side, b, second);
        double sum = 0;
        float max = 0;
        for (int i = side * side; i < first.Length; i++) // the colour planes (alpha is 255 in both)
        {
            float d = Math.Abs(first[i] - second[i]);
            sum += d;
            max = Math.Max(max, d);
        }

        return (sum / (3 * side * side), max);
    }
}

using System.Diagnostics;
using SkiaSharp;
using Transfer.Images;

namespace Transfer.ReliabilityTests;

/// <summary>Every image format and hostile byte pattern through the image-loading entry point (<see cref="ImageDecoder"/>).</summary>
public sealed class ImageFormatTests
{
    private const int Tolerance = 40; // JPEG/WebP chroma at a hard red/blue edge

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    [InlineData("bmp")]
    [InlineData("cmyk-jpeg")]
    public void DecodeToPlanes_Format_KeepsTheColours(string format)
    {
        byte[] bytes = format switch
        {
            "png" => HostileFiles.Png(16, 16),
            "jpeg" => HostileFiles.Jpeg(16, 16),
            "webp" => HostileFiles.WebP(16, 16),
            "bmp" => HostileFiles.Bmp(16, 16, (x, _) => HostileFiles.Halves(x, 16)),
            _ => File.ReadAllBytes(HostileFiles.TestFile("cmyk.jpg")),
        };
        var image = Decoded.Of(bytes, 16, 16);
        image.AssertColour(2, 8, HostileFiles.Red, Tolerance);
        image.AssertColour(13, 8, HostileFiles.Blue, Tolerance);
        image.AssertOpaque();
    }

    [Fact]
    public void DecodeToPlanes_AnimatedGif_TakesTheFirstFrame()
    {
        var gif = HostileFiles.AnimatedGif(8, 8, HostileFiles.Red, HostileFiles.Blue, SKColors.Lime);
        var image = Decoded.Of(gif, 8, 8);
        image.AssertColour(0, 0, HostileFiles.Red, 0);
        image.AssertColour(7, 7, HostileFiles.Red, 0);
    }

    [Fact]
    public void DecodeToPlanes_SixteenBitRgbPng_KeepsTheColours()
    {
        // 16-bit samples c·257 are exactly the 8-bit value c.
        var png = HostileFiles.RawPng(16, 16, 16, 2, (x, _) => x < 8 ? [220 * 257, 20 * 257, 20 * 257] : [20 * 257, 20 * 257, 220 * 257]);
        var image = Decoded.Of(png, 16, 16);
        image.AssertColour(2, 2, HostileFiles.Red, 1);
        image.AssertColour(13, 2, HostileFiles.Blue, 1);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void DecodeToPlanes_GrayscalePng_GivesEqualChannels(int bitDepth)
    {
        int max = (1 << bitDepth) - 1;
        var png = HostileFiles.RawPng(8, 8, bitDepth, 0, (x, _) => [(ushort)(x < 4 ? 0 : max)]);
        var image = Decoded.Of(png, 8, 8);
        image.AssertColour(1, 1, SKColors.Black, 1);
        image.AssertColour(6, 1, SKColors.White, 1);
        image.AssertOpaque();
    }

    [Fact]
    public void DecodeToPlanes_PalettePngWithTransparency_MapsIndicesAndPremultiplies()
    {
        byte[] palette = [220, 20, 20, 20, 20, 220];
        byte[] alphas = [255, 128];
        var png = HostileFiles.RawPng(8, 8, 8, 3, (x, _) => [(ushort)(x < 4 ? 0 : 1)], palette, alphas);
        var image = Decoded.Of(png, 8, 8);
        image.AssertColour(1, 1, HostileFiles.Red, 1);
        Assert.Equal(128f, image.A(6, 1));
        Assert.Equal(MathF.Round(220 * 128 / 255f), image.B(6, 1), 1f); // premultiplied, as ML.NET's MLImage decodes
    }

    [Fact]
    public void DecodeToPlanes_GrayAlphaPng_IsPremultiplied()
    {
        var png = HostileFiles.RawPng(4, 4, 8, 4, (x, _) => [200, (ushort)(x < 2 ? 0 : 255)]);
        var image = Decoded.Of(png, 4, 4);
        Assert.Equal(0f, image.A(0, 0));
        Assert.Equal(0f, image.R(0, 0));
        Assert.Equal(255f, image.A(3, 0));
        Assert.Equal(200f, image.G(3, 0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void DecodeToPlanes_ExifOrientation_ComesOutUpright(int orientation)
    {
        // Stored 32×16 in four quadrants; the expected upright pixel is read from the stored image through the EXIF
        // 2.32 mapping (tag 0x0112), independently of the decoder's matrices.
        const int w = 32;
        const int h = 16;
        SKColor[] quadrants = [HostileFiles.Red, SKColors.Lime, HostileFiles.Blue, SKColors.Yellow];
        SKColor Stored(int x, int y) => quadrants[(y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1)];
        var jpeg = HostileFiles.WithExifOrientation(HostileFiles.Encode(w, h, Stored, SKEncodedImageFormat.Jpeg), (ushort)orientation);
        bool swap = orientation >= 5;
        int uw = swap ? h : w;
        int uh = swap ? w : h;
        var image = Decoded.Of(jpeg, uw, uh);
        foreach (var (u, v) in new[] { (uw / 4, uh / 4), (3 * uw / 4, uh / 4), (uw / 4, 3 * uh / 4), (3 * uw / 4, 3 * uh / 4) })
        {
            var (x, y) = orientation switch
            {
                1 => (u, v),
                2 => (w - 1 - u, v),
                3 => (w - 1 - u, h - 1 - v),
                4 => (u, h - 1 - v),
                5 => (v, u),
                6 => (v, h - 1 - u),
                7 => (w - 1 - v, h - 1 - u),
                _ => (w - 1 - v, u),
            };
            image.AssertColour(u, v, Stored(x, y), Tolerance);
        }
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    [InlineData("bmp")]
    [InlineData("gif")]
    public void DecodeToPlanes_OnePixelImage_FillsTheTarget(string format)
    {
        var colour = new SKColor(200, 100, 50);
        byte[] bytes = format switch
        {
            "png" => HostileFiles.Encode(1, 1, (_, _) => colour, SKEncodedImageFormat.Png),
            "jpeg" => HostileFiles.Encode(1, 1, (_, _) => colour, SKEncodedImageFormat.Jpeg),
            "webp" => HostileFiles.Encode(1, 1, (_, _) => colour, SKEncodedImageFormat.Webp, 100),
            "bmp" => HostileFiles.Bmp(1, 1, (_, _) => colour),
            _ => HostileFiles.AnimatedGif(1, 1, colour),
        };
        var image = Decoded.Of(bytes, 7, 5);
        image.AssertColour(0, 0, colour, 12);
        image.AssertColour(6, 4, colour, 12);
    }

    public static TheoryData<string, string> HostileCases => new()
    {
        { "zero-bytes", "the file is empty (0 bytes)." },
        { "html-as-png", "not a recognised image format (first bytes: 3C21444F43545950)" },
        { "random-as-jpg", "not a recognised image format (first bytes: 5A" },
        { "tiff", "not a recognised image format (first bytes: 49492A0008000000). Supported: PNG, JPEG, BMP, GIF, WebP, ICO, WBMP." },
        { "truncated-png", "the file is truncated" },
        { "truncated-jpeg", "the file is truncated" },
        { "png-header-only", "the file starts as a PNG (first bytes: 89504E470D0A1A0A) but its header is truncated or damaged." },
        { "truncated-gif", "the file is truncated" },
        { "zero-size-bmp", "the file starts as a BMP (first bytes: 424D" },
    };

    [Theory]
    [MemberData(nameof(HostileCases))]
    public void DecodeToPlanes_HostileBytes_ThrowInvalidImageSayingWhy(string name, string reason)
    {
        byte[] bytes = Hostile(name);
        var planes = new float[4 * 8 * 8];
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeToPlanes(bytes, name, 8, 8, ImagePreprocessing.Default, planes));
        Assert.Equal(name, e.Source);
        Assert.StartsWith(reason, e.Reason, StringComparison.Ordinal);
        Assert.StartsWith($"Image \"{name}\" could not be used: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("png", 100_000, 100_000)]
    [InlineData("jpeg", 65_500, 65_500)]
    [InlineData("gif", 65_535, 65_535)]
    public void DecodeToPlanes_DecompressionBomb_RefusedBeforeAnyLargeAllocation(string format, int width, int height)
    {
        byte[] bomb = format switch
        {
            "png" => HostileFiles.PngBomb(width, height),
            "jpeg" => HostileFiles.JpegBomb((ushort)width, (ushort)height),
            _ => GifBomb((ushort)width, (ushort)height),
        };
        var planes = new float[4 * 8 * 8];
        ImageDecoder.DecodeToPlanes(HostileFiles.Png(4, 4), "warm-up", 8, 8, ImagePreprocessing.Default, planes); // loads the codecs first
        using var process = Process.GetCurrentProcess();
        long managedBefore = GC.GetAllocatedBytesForCurrentThread();
        process.Refresh();
        long residentBefore = process.WorkingSet64;
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeToPlanes(bomb, "bomb", 8, 8, ImagePreprocessing.Default, planes));
        long managed = GC.GetAllocatedBytesForCurrentThread() - managedBefore;
        process.Refresh();
        long resident = process.WorkingSet64 - residentBefore;
        Assert.Equal($"the header declares {width}×{height} = {(long)width * height} pixels, over the limit of 100000000 (ImagePreprocessing.MaxPixels). Raise the limit if the image is genuine.", e.Reason);

        // The bitmap alone would be width·height·4 bytes (≥ 16 GiB); the refusal costs kilobytes.
        Assert.True(managed < 1 << 20, $"Refusing the bomb allocated {managed} managed bytes.");
        Assert.True(resident < 64L << 20, $"Refusing the bomb grew the resident set by {resident >> 20} MiB.");
    }

    [Fact]
    public void DecodeToPlanes_MaxPixelsOption_RefusesAboveTheConfiguredLimitOnly()
    {
        var png = HostileFiles.Png(300, 200);
        var planes = new float[4 * 8 * 8];
        var strict = ImagePreprocessing.Default with { MaxPixels = 50_000 };
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeToPlanes(png, "big.png", 8, 8, strict, planes));
        Assert.Equal("the header declares 300×200 = 60000 pixels, over the limit of 50000 (ImagePreprocessing.MaxPixels). Raise the limit if the image is genuine.", e.Reason);
        ImageDecoder.DecodeToPlanes(png, "big.png", 8, 8, ImagePreprocessing.Default with { MaxPixels = 60_000 }, planes);
        Assert.Equal(255f, planes[0]);
    }

    internal static byte[] Hostile(string name) => name switch
    {
        "zero-bytes" => [],
        "html-as-png" => HostileFiles.Html(),
        "random-as-jpg" => HostileFiles.RandomBytes(4096, 7),
        "tiff" => HostileFiles.Tiff(),
        "truncated-png" => HostileFiles.NoisyPng(64, 64, 1)[..3000],
        "truncated-jpeg" => Truncate(HostileFiles.Encode(64, 64, (x, y) => new SKColor((byte)(x * 4), (byte)(y * 4), (byte)(x ^ y)), SKEncodedImageFormat.Jpeg), 2),
        "png-header-only" => HostileFiles.Png(16, 16)[..33],
        "truncated-gif" => Truncate(HostileFiles.AnimatedGif(32, 32, HostileFiles.Red, HostileFiles.Blue), 4),
        "zero-size-bmp" => ZeroSizeBmp(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static byte[] Truncate(byte[] bytes, int divisor) => bytes[..(bytes.Length / divisor)];

    private static byte[] ZeroSizeBmp()
    {
        var bmp = HostileFiles.Bmp(4, 4, (_, _) => SKColors.Red);
        bmp.AsSpan(18, 4).Clear();
        return bmp;
    }

    private static byte[] GifBomb(ushort width, ushort height)
    {
        var gif = HostileFiles.AnimatedGif(2, 2, HostileFiles.Red);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(6), width);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(8), height);
        int frame = Array.IndexOf(gif, (byte)0x2C, 13 + 12);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(frame + 5), width);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(frame + 7), height);
        return gif;
    }
}

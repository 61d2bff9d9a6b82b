using SkiaSharp;
using Transfer.Images;

namespace Transfer.Scoring.Tests.Images;

public sealed class ImageDecoderTests
{
    private static readonly ImagePreprocessing Stretch = new() { ResizeMode = ResizeMode.Stretch };

    [Fact]
    public void DecodeToPlanes_Grayscale_GivesEqualColourPlanesAndOpaqueAlpha()
    {
        var png = TestImages.Png(4, 4, (x, y) => new SKColor((byte)(x * 60), (byte)(x * 60), (byte)(x * 60)));
        var planes = new float[4 * 4 * 4];
        ImageDecoder.DecodeToPlanes(png, "gray.png", 4, 4, Stretch, planes);
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(255f, planes[i]);
            Assert.Equal(planes[16 + i], planes[32 + i]);
            Assert.Equal(planes[16 + i], planes[48 + i]);
        }

        Assert.Equal(180f, planes[16 + 3]);
    }

    [Fact]
    public void DecodeToPlanes_TransparentPixels_ArePremultipliedToZeroWithZeroAlpha()
    {
        var png = TestImages.Png(2, 1, (x, _) => x == 0 ? new SKColor(200, 10, 10, 0) : new SKColor(0, 0, 255, 255));
        var planes = new float[4 * 2];
        ImageDecoder.DecodeToPlanes(png, "alpha.png", 2, 1, Stretch, planes);
        Assert.Equal([0f, 255f], planes[..2]); // alpha
        Assert.Equal(0f, planes[2]); // red of the transparent pixel: premultiplied, composited in the graph
        Assert.Equal(255f, planes[7]); // blue of the opaque pixel
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(6, true)]
    [InlineData(8, true)]
    public void Decode_ExifOrientation_ComesOutUpright(ushort orientation, bool swapsSides)
    {
        // Stored 32×16: left half red, right half blue.
        var jpeg = TestImages.WithExifOrientation(TestImages.Jpeg(32, 16, (x, _) => x < 16 ? SKColors.Red : SKColors.Blue), orientation);
        using var bitmap = ImageBitmaps.Decode(jpeg, "exif.jpg", ImagePreprocessing.Default);
        Assert.Equal(swapsSides ? 16 : 32, bitmap.Width);
        Assert.Equal(swapsSides ? 32 : 16, bitmap.Height);
        SKColor first = bitmap.GetPixel(2, 2);
        SKColor last = bitmap.GetPixel(bitmap.Width - 3, bitmap.Height - 3);
        var (expectFirst, expectLast) = orientation switch
        {
            1 => (SKColors.Red, SKColors.Blue),   // as stored
            3 => (SKColors.Blue, SKColors.Red),   // rotated 180°
            6 => (SKColors.Red, SKColors.Blue),   // rotated 90° clockwise: the left half becomes the top
            _ => (SKColors.Blue, SKColors.Red),   // 8, rotated 270° clockwise: the left half becomes the bottom
        };
        AssertNear(expectFirst, first);
        AssertNear(expectLast, last);
    }

    [Fact]
    public void Decode_ExifIgnored_WhenDisabled()
    {
        var jpeg = TestImages.WithExifOrientation(TestImages.Jpeg(32, 16, (x, _) => x < 16 ? SKColors.Red : SKColors.Blue), 6);
        using var bitmap = ImageBitmaps.Decode(jpeg, "exif.jpg", ImagePreprocessing.Compatible);
        Assert.Equal(32, bitmap.Width);
    }

    [Fact]
    public void DecodeToPlanes_DecompressionBomb_RefusedBeforeAllocating()
    {
        var bomb = TestImages.DecompressionBomb(100_000, 100_000);
        var planes = new float[4 * 8 * 8];
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeToPlanes(bomb, "bomb.png", 8, 8, ImagePreprocessing.Default, planes));
        Assert.Equal("Image \"bomb.png\" could not be used: the header declares 100000×100000 = 10000000000 pixels, over the limit of 100000000 (ImagePreprocessing.MaxPixels). Raise the limit if the image is genuine.", e.Message);
    }

    [Fact]
    public void DecodeToPlanes_Truncated_SaysTruncated()
    {
        var png = TestImages.Png(64, 64, (x, y) => new SKColor((byte)(x * 3), (byte)(y * 3), (byte)(x ^ y)));
        var planes = new float[4 * 8 * 8];
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeToPlanes(png.AsSpan(0, png.Length / 2), "half.png", 8, 8, ImagePreprocessing.Default, planes));
        Assert.Contains("truncated", e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[0], "the file is empty (0 bytes).")]
    [InlineData(new byte[] { 0x3C, 0x68, 0x74, 0x6D, 0x6C, 0x3E, 0x68, 0x69, 0x3C }, "not a recognised image format (first bytes: 3C68746D6C3E6869). Supported: PNG, JPEG, BMP, GIF, WebP, ICO, WBMP.")]
    public void DecodeToPlanes_NotAnImage_ExplainsWhy(byte[] bytes, string reason)
    {
        var planes = new float[4];
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeToPlanes(bytes, "x.png", 1, 1, ImagePreprocessing.Default, planes));
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void DecodeToPlanes_OnePixelImage_FillsTheWholeTarget()
    {
        var png = TestImages.Png(1, 1, (_, _) => new SKColor(10, 20, 30));
        var planes = new float[4 * 5 * 5];
        ImageDecoder.DecodeToPlanes(png, "dot.png", 5, 5, Stretch, planes);
        Assert.All(planes[25..50], v => Assert.Equal(10f, v));
        Assert.All(planes[75..100], v => Assert.Equal(30f, v));
    }

    private static void AssertNear(SKColor expected, SKColor actual)
    {
        Assert.True(Math.Abs(expected.Red - actual.Red) < 40 && Math.Abs(expected.Blue - actual.Blue) < 40, $"Expected about {expected}, got {actual}.");
    }
}

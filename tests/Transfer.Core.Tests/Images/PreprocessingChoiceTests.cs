using SkiaSharp;
using Transfer.Images;

namespace Transfer.Core.Tests.Images;

/// <summary>The resize mode chosen for training images when the caller sets none (<see cref="PreprocessingChoice"/>).</summary>
public sealed class PreprocessingChoiceTests
{
    [Fact]
    public void For_OpaquePhotos_CenterCrop()
    {
        var choice = PreprocessingChoice.For(Images(320, 240, SKEncodedImageFormat.Jpeg, opaque: true), 224, 224);
        Assert.Equal(ResizeMode.CenterCrop, choice.Preprocessing.ResizeMode);
        Assert.Contains("center crop", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void For_TransparentPixels_Stretch()
    {
        var choice = PreprocessingChoice.For(Images(320, 240, SKEncodedImageFormat.Png, opaque: false), 224, 224);
        Assert.Equal(ResizeMode.Stretch, choice.Preprocessing.ResizeMode);
        Assert.Contains("transparent", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void For_OpaquePngWithAlphaChannel_CenterCrop()
    {
        // An RGBA PNG whose pixels are all opaque is a photo like any other: the decision looks at pixels, not the format.
        var choice = PreprocessingChoice.For(Images(320, 240, SKEncodedImageFormat.Png, opaque: true), 224, 224);
        Assert.Equal(ResizeMode.CenterCrop, choice.Preprocessing.ResizeMode);
    }

    [Fact]
    public void For_SmallOrElongatedImages_Stretch()
    {
        Assert.Equal(ResizeMode.Stretch, PreprocessingChoice.For(Images(28, 28, SKEncodedImageFormat.Png, opaque: true), 224, 224).Preprocessing.ResizeMode);
        Assert.Equal(ResizeMode.Stretch, PreprocessingChoice.For(Images(600, 200, SKEncodedImageFormat.Jpeg, opaque: true), 224, 224).Preprocessing.ResizeMode);
    }

    [Fact]
    public void For_UnreadableImagesOnly_StretchWithReason_KeepsOtherSettings()
    {
        var basis = ImagePreprocessing.Default with { AlphaBackground = 0x000000, ApplyExifOrientation = false };
        var choice = PreprocessingChoice.For([ImageEntry.FromBytes(new byte[] { 1, 2, 3 }, "a", "broken.png")], 224, 224, basis);
        Assert.Equal(basis with { ResizeMode = ResizeMode.Stretch }, choice.Preprocessing);
        Assert.Contains("no sampled image", choice.Reason, StringComparison.Ordinal);
    }

    private static List<ImageEntry> Images(int width, int height, SKEncodedImageFormat format, bool opaque)
    {
        var entries = new List<ImageEntry>();
        for (int i = 0; i < 6; i++)
        {
            using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            bitmap.Erase(new SKColor((byte)(40 * i), 120, 200, opaque || i != 3 ? (byte)255 : (byte)0));
            using var data = bitmap.Encode(format, 90);
            entries.Add(ImageEntry.FromBytes(data.ToArray(), i % 2 == 0 ? "a" : "b", $"image{i}.{format.ToString().ToLowerInvariant()}"));
        }

        return entries;
    }
}

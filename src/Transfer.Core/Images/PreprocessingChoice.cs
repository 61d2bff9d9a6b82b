using System.Globalization;
using SkiaSharp;

namespace Transfer.Images;

/// <summary>
/// The resize mode a training run uses when the caller did not set one, chosen from a sample of the training images
/// (<see cref="For"/>), with the reason in words. The rule, in order:
/// <list type="number">
/// <item>Any sampled image with a transparent pixel: <see cref="ResizeMode.Stretch"/>, the only mode that keeps transparency
/// so it is composited on <see cref="ImagePreprocessing.AlphaBackground"/> (clip-art, product shots, icons).</item>
/// <item>Small images (median shorter side under half the input side, e.g. 28×28 scans into 224×224):
/// <see cref="ResizeMode.Stretch"/>, whose nearest-neighbour sampling keeps edges sharp where a cubic filter blurs them.</item>
/// <item>Very elongated images (median long/short side ratio above <see cref="MaxCropAspect"/>): <see cref="ResizeMode.Stretch"/>,
/// since a centre crop would cut off too much.</item>
/// <item>Otherwise, opaque photo-sized images: <see cref="ResizeMode.CenterCrop"/>, the aspect ratio kept and the resize filtered, as
/// ImageNet's own evaluation prepares images for these backbones.</item>
/// </list>
/// Deterministic: the sample is evenly spread over the set's order. The choice is part of the preprocessing, so it is in
/// every cache key and in the saved model, and plain ML.NET scores the model with the same resize.
/// </summary>
/// <param name="Preprocessing">The settings to use.</param>
/// <param name="Reason">Why, in words, for the run's output.</param>
public sealed record PreprocessingChoice(ImagePreprocessing Preprocessing, string Reason)
{
    /// <summary>The most images whose headers are read to choose.</summary>
    public const int SampleSize = 64;

    /// <summary>The median long/short side ratio above which images are stretched rather than centre-cropped.</summary>
    public const double MaxCropAspect = 1.6;

    /// <summary>Chooses the resize mode for training images fed to a backbone of the given input size.</summary>
    /// <param name="images">The training images (unreadable ones are left out of the sample; the featurizer reports them).</param>
    /// <param name="inputWidth">The backbone's input width.</param>
    /// <param name="inputHeight">The backbone's input height.</param>
    /// <param name="basis">The other settings (background, EXIF, size limit) to keep; default <see cref="ImagePreprocessing.Default"/>.</param>
    /// <returns>The choice and its reason.</returns>
    public static PreprocessingChoice For(IReadOnlyList<ImageEntry> images, int inputWidth, int inputHeight, ImagePreprocessing? basis = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        basis ??= ImagePreprocessing.Default;
        var shorter = new List<double>();
        var aspect = new List<double>();
        int sample = Math.Min(SampleSize, images.Count);
        for (int i = 0; i < sample; i++)
        {
            var entry = images[(int)((long)i * images.Count / sample)];
            if (Measure(entry, basis) is not { } size)
            {
                continue;
            }

            if (size.Transparent)
            {
                return new(basis with { ResizeMode = ResizeMode.Stretch }, $"stretch: {entry.Name} has transparent pixels, which only a stretch composites on the background colour");
            }

            shorter.Add(Math.Min(size.Width, size.Height));
            aspect.Add((double)Math.Max(size.Width, size.Height) / Math.Min(size.Width, size.Height));
        }

        if (shorter.Count == 0)
        {
            return new(basis with { ResizeMode = ResizeMode.Stretch }, "stretch: no sampled image could be read");
        }

        int medianSide = (int)Median(shorter);
        double medianAspect = Median(aspect);
        int input = Math.Min(inputWidth, inputHeight);
        if (medianSide * 2 < input)
        {
            return new(basis with { ResizeMode = ResizeMode.Stretch }, string.Create(CultureInfo.InvariantCulture, $"stretch: small images (median shorter side {medianSide} px, input {input} px) stay sharp with nearest-neighbour sampling"));
        }

        if (medianAspect > MaxCropAspect)
        {
            return new(basis with { ResizeMode = ResizeMode.Stretch }, string.Create(CultureInfo.InvariantCulture, $"stretch: elongated images (median aspect {medianAspect:0.##}) would lose too much to a centre crop"));
        }

        return new(basis with { ResizeMode = ResizeMode.CenterCrop }, string.Create(CultureInfo.InvariantCulture, $"center crop: opaque images (median shorter side {medianSide} px) keep their aspect ratio and a filtered resize"));
    }

    private static (int Width, int Height, bool Transparent)? Measure(ImageEntry entry, ImagePreprocessing basis)
    {
        try
        {
            var bytes = entry.ReadBytes();
            using var data = SKData.CreateCopy(bytes.Span);
            using var codec = SKCodec.Create(data);
            if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
            {
                return null;
            }

            var info = codec.Info;
            if (info.AlphaType == SKAlphaType.Opaque)
            {
                return (info.Width, info.Height, false);
            }

            // The format can carry alpha: decode (as the featurizer does, size limit included) and look for a pixel below opaque.
            using var bitmap = ImageBitmaps.Decode(bytes.Span, entry.Name, basis);
            return (info.Width, info.Height, HasTransparentPixel(bitmap));
        }
        catch (InvalidImageException)
        {
            return null;
        }
    }

    private static bool HasTransparentPixel(SKBitmap bitmap)
    {
        if (bitmap.AlphaType == SKAlphaType.Opaque || bitmap.BytesPerPixel != 4)
        {
            return false;
        }

        var pixels = bitmap.GetPixelSpan();
        for (int i = 3; i < pixels.Length; i += 4)
        {
            if (pixels[i] != 255)
            {
                return true;
            }
        }

        return false;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }
}

using SkiaSharp;
using Transfer.Images;

namespace Transfer.Reporting;

/// <summary>Makes the small PNGs of the top-loss gallery, decoded as the featurizer decodes (EXIF orientation, size guard).</summary>
internal static class Thumbnail
{
    /// <summary>Returns a PNG whose longest side is <paramref name="size"/>, or the reason there is none.</summary>
    public static (byte[]? Png, string? Error) Create(ImageEntry image, int size)
    {
        try
        {
            var bytes = image.ReadBytes();
            using var decoded = ImageBitmaps.Decode(bytes.Span, image.Name, ImagePreprocessing.Default);
            double scale = (double)size / Math.Max(decoded.Width, decoded.Height);
            int width = Math.Max(1, (int)Math.Round(decoded.Width * scale));
            int height = Math.Max(1, (int)Math.Round(decoded.Height * scale));

            // Enlarged small images keep hard pixel edges (a 28×28 image blurred to 96 px hides what the model saw).
            var sampling = scale > 1 ? new SKSamplingOptions(SKFilterMode.Nearest) : new SKSamplingOptions(SKCubicResampler.Mitchell);
            using var resized = decoded.Resize(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul), sampling);
            if (resized is null)
            {
                return (null, $"cannot resize {decoded.Width}×{decoded.Height} to {width}×{height}");
            }

            using var img = SKImage.FromBitmap(resized);
            using var data = img.Encode(SKEncodedImageFormat.Png, 100);
            return (data.ToArray(), null);
        }
        catch (InvalidImageException e)
        {
            return (null, e.Message);
        }
    }
}

namespace Transfer.Images;

/// <summary>
/// Decodes encoded images exactly as ML.NET's <c>MLImage</c> does (SkiaSharp <c>SKBitmap.Decode</c>, premultiplied,
/// converted to BGRA), resizes as ML.NET's <c>ResizeImages</c> does, and writes planar A,R,G,B float planes (0–255)
/// as ML.NET's <c>ExtractPixels</c> (all colours, ARGB order) does. With <see cref="ImagePreprocessing.ScaledDecode"/>, JPEG and WebP
/// images are decoded at a reduced scale that still covers the target size first. Stricter than ML.NET: truncated files and
/// oversized headers are refused with a reason.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes and resizes one image into planar A,R,G,B floats.</summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="name">The image's name for messages.</param>
    /// <param name="width">Target width.</param>
    /// <param name="height">Target height.</param>
    /// <param name="preprocessing">The preprocessing settings.</param>
    /// <param name="destination">4 × <paramref name="height"/> × <paramref name="width"/> floats.</param>
    /// <exception cref="InvalidImageException">The bytes are empty, not an image, truncated, too large, or of an unsupported format.</exception>
    public static void DecodeToPlanes(ReadOnlySpan<byte> encoded, string name, int width, int height, ImagePreprocessing preprocessing, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (destination.Length < 4 * width * height)
        {
            throw new ArgumentException($"Parameter \"destination\" must hold {4 * width * height} floats, held {destination.Length}.", nameof(destination));
        }

        using var decoded = ImageBitmaps.Decode(encoded, name, preprocessing, width, height);
        if (decoded.Width == width && decoded.Height == height)
        {
            ImageBitmaps.WritePlanes(decoded, destination); // already at the size: as ML.NET's ResizeImages, no resize and no copy
            return;
        }

        using var resized = ImageBitmaps.Resize(decoded, width, height, preprocessing.ResizeMode)
            ?? throw new InvalidImageException(name, $"resizing to {width}×{height} failed.");
        ImageBitmaps.WritePlanes(resized, destination);
    }
}

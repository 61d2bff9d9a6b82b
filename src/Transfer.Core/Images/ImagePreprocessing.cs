using System.Globalization;

namespace Transfer.Images;

/// <summary>
/// How encoded images become the backbone's input pixels: resize mode, the background transparent pixels are
/// composited on, EXIF orientation and the decompression-bomb limit. Part of every bottleneck-cache key.
/// </summary>
public sealed class ImagePreprocessing
{
    /// <summary>The default <see cref="MaxPixels"/>: 100 megapixels.</summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>Gets how images are resized to the backbone's input size.</summary>
    /// <value>The default value is <see cref="ResizeMode.CenterCrop"/> (high-quality filtering; measured better than <see cref="ResizeMode.Stretch"/> on Fashion-MNIST — see README).</value>
    public ResizeMode ResizeMode { get; init; } = ResizeMode.CenterCrop;

    /// <summary>Gets the background colour (0xRRGGBB) that transparent pixels are composited on, inside the backbone graph, so training and scoring agree.</summary>
    /// <value>The default value is 0xFFFFFF (white), as for clip-art and product shots.</value>
    public int AlphaBackground { get; init; } = 0xFFFFFF;

    /// <summary>Gets a value indicating whether JPEG EXIF orientation is applied so photos come out upright.</summary>
    /// <value>The default value is <see langword="true"/>. ML.NET's own <c>LoadImages</c> ignores EXIF orientation, so a model scored through plain ML.NET sees such photos as stored.</value>
    public bool ApplyExifOrientation { get; init; } = true;

    /// <summary>Gets the largest image (width × height) that is decoded; larger headers are refused before any large allocation.</summary>
    /// <value>The default value is <see cref="DefaultMaxPixels"/>.</value>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Gets the default settings.</summary>
    public static ImagePreprocessing Default { get; } = new();

    /// <summary>Gets ML.NET-compatible settings: the exact pixels of <c>LoadImages → ResizeImages(Fill) → ExtractPixels</c> as <c>DnnFeaturizeImage</c> uses them.</summary>
    public static ImagePreprocessing Compatible { get; } = new() { ResizeMode = ResizeMode.Stretch, ApplyExifOrientation = false };

    /// <summary>Returns a canonical text form of every setting that changes pixels (used in cache keys and the run manifest).</summary>
    /// <returns>The canonical key.</returns>
    public string CanonicalKey() => string.Create(CultureInfo.InvariantCulture, $"resize={ResizeMode};bg={AlphaBackground:X6};exif={(ApplyExifOrientation ? 1 : 0)}");

    /// <inheritdoc />
    public override string ToString() => CanonicalKey();
}

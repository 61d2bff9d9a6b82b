namespace Transfer.Testing;

/// <summary>The file format synthetic images are encoded in.</summary>
public enum SyntheticImageFormat
{
    /// <summary>PNG (lossless), extension <c>.png</c>.</summary>
    Png,

    /// <summary>JPEG (quality 90), extension <c>.jpg</c>.</summary>
    Jpeg,

    /// <summary>Uncompressed 24-bit BMP, extension <c>.bmp</c>.</summary>
    Bmp,

    /// <summary>WebP (quality 90), extension <c>.webp</c>.</summary>
    Webp,
}

namespace Transfer.Testing;

/// <summary>How a deliberately broken image file is broken (for negative tests).</summary>
public enum BrokenImageKind
{
    /// <summary>A real image cut off in the middle of its pixel data; Transfer reports it as truncated.</summary>
    Truncated,

    /// <summary>An empty file (0 bytes).</summary>
    ZeroBytes,

    /// <summary>Text with an image file name; Transfer reports it as not a recognised image format.</summary>
    NotAnImage,
}

namespace Transfer.Images;

/// <summary>Options for scanning a folder or manifest into an <see cref="ImageSet"/>.</summary>
public sealed class ImageSetOptions
{
    /// <summary>The default file extensions taken as images.</summary>
    public static readonly IReadOnlyList<string> DefaultExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ico", ".wbmp"];

    /// <summary>Gets the file extensions (with the dot, any case) that are taken as images; other files are skipped and reported.</summary>
    /// <value>The default value is <see cref="DefaultExtensions"/>.</value>
    public IReadOnlyList<string> Extensions { get; init; } = DefaultExtensions;

    /// <summary>Gets a value indicating whether class folders with no images are dropped (and reported) instead of failing the scan.</summary>
    /// <value>The default value is <see langword="false"/>: an empty class folder is almost always a mistake, so it is an error.</value>
    public bool AllowEmptyClasses { get; init; }

    /// <summary>Gets what to do with manifest rows whose file is missing.</summary>
    /// <value>The default value is <see cref="BadImagePolicy.Fail"/>.</value>
    public BadImagePolicy MissingFilePolicy { get; init; } = BadImagePolicy.Fail;

    /// <summary>Gets how deep class folders are searched for images.</summary>
    /// <value>The default value is 16 (which also bounds symbolic-link loops).</value>
    public int MaxDepth { get; init; } = 16;
}

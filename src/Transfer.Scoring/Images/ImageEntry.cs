namespace Transfer.Images;

/// <summary>One labelled image: a file on disk or encoded bytes in memory.</summary>
public sealed class ImageEntry
{
    private readonly ReadOnlyMemory<byte> _bytes;

    private ImageEntry(string? path, ReadOnlyMemory<byte> bytes, string label, string name)
    {
        Path = path;
        _bytes = bytes;
        Label = label;
        Name = name;
    }

    /// <summary>Gets the full path of the image file, or <see langword="null"/> for an in-memory image.</summary>
    public string? Path { get; }

    /// <summary>Gets the class label (may be empty for unlabelled images).</summary>
    public string Label { get; }

    /// <summary>Gets a display name: the path, or the name given to an in-memory image.</summary>
    public string Name { get; }

    /// <summary>Creates an entry for an image file.</summary>
    /// <param name="path">The image file's path (made absolute).</param>
    /// <param name="label">The class label.</param>
    /// <returns>The entry.</returns>
    public static ImageEntry FromFile(string path, string label)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(label);
        string full = System.IO.Path.GetFullPath(path);
        return new ImageEntry(full, ReadOnlyMemory<byte>.Empty, label, full);
    }

    /// <summary>Creates an entry for encoded image bytes (PNG, JPEG, BMP, GIF, WebP…).</summary>
    /// <param name="bytes">The encoded image.</param>
    /// <param name="label">The class label.</param>
    /// <param name="name">A name used in messages and reports.</param>
    /// <returns>The entry.</returns>
    public static ImageEntry FromBytes(ReadOnlyMemory<byte> bytes, string label, string name)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(name);
        return new ImageEntry(null, bytes, label, name);
    }

    /// <summary>Reads the encoded bytes (from disk for a file entry).</summary>
    /// <returns>The encoded image.</returns>
    /// <exception cref="InvalidImageException">The file cannot be read.</exception>
    public ReadOnlyMemory<byte> ReadBytes()
    {
        if (Path is null)
        {
            return _bytes;
        }

        try
        {
            return File.ReadAllBytes(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidImageException(Path, $"the file cannot be read ({e.Message}). Check that it exists and is readable.", e);
        }
    }

    /// <summary>Returns a copy of this entry with another label.</summary>
    /// <param name="label">The new label.</param>
    /// <returns>The relabelled entry.</returns>
    public ImageEntry WithLabel(string label) => new(Path, _bytes, label, Name);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Label})";
}

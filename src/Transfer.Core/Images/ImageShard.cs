using System.Buffers.Binary;
using System.Globalization;

namespace Transfer.Images;

/// <summary>
/// One of <see cref="Count"/> parts of an image collection, for featurizing it in several processes or machines
/// (<c>transfer featurize --shard i/N</c>). An image belongs to the shard given by its content hash (the first 8 bytes of
/// its SHA-256, big-endian, modulo <see cref="Count"/>): the assignment needs no coordination, is the same on every
/// machine and on every rerun, does not change when files are renamed, added or removed, and puts duplicates (same bytes)
/// in one shard, so each distinct image is featurized by exactly one shard.
/// </summary>
public readonly record struct ImageShard
{
    /// <summary>Creates a shard.</summary>
    /// <param name="index">The shard's index, 0 to <paramref name="count"/> − 1 (a Kubernetes completion index, a Slurm array task id from 0).</param>
    /// <param name="count">The number of shards, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 or <paramref name="index"/> is outside 0 to <paramref name="count"/> − 1.</exception>
    public ImageShard(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (index < 0 || index >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, string.Create(CultureInfo.InvariantCulture, $"Parameter \"index\" must be 0 to {count - 1} for {count} shards, was {index}. Shards are numbered from 0."));
        }

        Index = index;
        Count = count;
    }

    /// <summary>Gets the shard's index, 0 to <see cref="Count"/> − 1.</summary>
    public int Index { get; }

    /// <summary>Gets the number of shards.</summary>
    public int Count { get; }

    /// <summary>Gets the one shard that holds every image (0/1).</summary>
    public static ImageShard All { get; } = new(0, 1);

    /// <summary>Parses <c>i/N</c>, for example <c>3/8</c> (shards numbered from 0).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The shard.</returns>
    /// <exception cref="FormatException">The text is not <c>i/N</c> with 0 ≤ i &lt; N; the message says what was expected.</exception>
    public static ImageShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            && count >= 1 && index < count)
        {
            return new ImageShard(index, count);
        }

        throw new FormatException($"A shard is i/N with 0 <= i < N (numbered from 0, e.g. 0/4 to 3/4), was \"{text}\".");
    }

    /// <summary>Gets the index of the shard an image belongs to among <paramref name="count"/> shards.</summary>
    /// <param name="hash">The image's content hash.</param>
    /// <param name="count">The number of shards, at least 1.</param>
    /// <returns>0 to <paramref name="count"/> − 1.</returns>
    public static int IndexOf(ContentHash hash, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Span<byte> bytes = stackalloc byte[ContentHash.Size];
        hash.CopyTo(bytes);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(bytes) % (ulong)count);
    }

    /// <summary>Tells whether an image belongs to this shard.</summary>
    /// <param name="hash">The image's content hash.</param>
    /// <returns><see langword="true"/> when the image is this shard's.</returns>
    public bool Contains(ContentHash hash) => Count <= 1 || IndexOf(hash, Count) == Index;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
